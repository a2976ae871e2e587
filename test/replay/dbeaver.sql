-- DBeaver (PostgreSQL plugin over pgjdbc): connect, read the server and the
-- database, then expand the navigator: schemas, data types, the tables of
-- public, and the columns, constraints and indexes of lineitem. pgjdbc sends
-- everything with the extended protocol; setLong parameters are int8,
-- setString ones varchar.
--
-- Sources:
--   dbeaver/dbeaver@2428359b748778a5a345432906ab3da69289c20c
--     plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/
--     PostgreDataSource.java, PostgreExecutionContext.java, PostgreDatabase.java,
--     PostgreSchema.java, PostgreDataTypeCache.java
--   pgjdbc/pgjdbc@3a699d57d957ca0c2b86e619d001a8763a130027 PgDatabaseMetaData.java, TypeInfoCache.java
--   Connect-time SETs as DBeaver 25.1.5 sent them, captured in
--   datafusion-contrib/datafusion-postgres@4c18f5ad datafusion-postgres/tests/dbeaver.rs

-- name: set extra_float_digits
-- source: captured DBeaver 25.1.5 startup (pgjdbc ConnectionFactoryImpl)
SET extra_float_digits = 3

-- name: set application_name jdbc
-- source: captured DBeaver 25.1.5 startup
SET application_name = 'PostgreSQL JDBC Driver'

-- name: set application_name dbeaver
-- source: captured DBeaver 25.1.5 startup
SET application_name = 'DBeaver 25.1.5 - Main <basalt>'

-- name: bootstrap current_database
-- source: PostgreDataSource.java (bootstrap connection)
-- mode: extended
-- expect: cell basalt
SELECT current_database()

-- name: databases
-- source: PostgreDataSource.java catalog query (no templates, only connectable, plus the connection's database)
-- param: varchar basalt
-- expect: cell basalt
-- shapediff: 18 columns, PostgreSQL 17
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE 1 = 1 AND datallowconn AND NOT datistemplate OR db.datname =$1
ORDER BY db.datname

-- name: server version
-- source: PostgreDataSource.java initialize
-- mode: extended
-- expect: rows 1
SELECT version()

-- name: current schema and user
-- source: PostgreExecutionContext.java
-- mode: extended
-- expect: row public | tester
SELECT current_schema(),session_user

-- name: search_path
-- compare: rows
-- source: PostgreExecutionContext.java
-- mode: extended
-- expect: rows 1
SHOW search_path

-- name: setting
-- source: PostgreDataSource.java settings lookup
-- param: varchar standard_conforming_strings
-- expect: rows 1
select * from pg_catalog.pg_settings where name=$1

-- name: database by name
-- source: PostgreDatabase.java
-- param: varchar basalt
-- expect: rows 1
-- shapediff: 18 columns, PostgreSQL 17
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname=$1

-- name: sql keywords
-- source: PgDatabaseMetaData.getSQLKeywords (DBeaver reads the dialect's keywords)
-- mode: extended
-- expect: rows 1
select string_agg(word, ',') from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add,admin,after,all,allocate,alter,always,and,any,are,array,as,asc,asensitive,assertion,assignment,asymmetric,at,atomic,attribute,attributes,authorization,avg,before,begin,bernoulli,between,bigint,binary,blob,boolean,both,breadth,by,c,call,called,cardinality,cascade,cascaded,case,cast,catalog,catalog_name,ceil,ceiling,chain,char,char_length,character,character_length,character_set_catalog,character_set_name,character_set_schema,characteristics,characters,check,checked,class_origin,clob,close,coalesce,cobol,code_units,collate,collation,collation_catalog,collation_name,collation_schema,collect,column,column_name,command_function,command_function_code,commit,committed,condition,condition_number,connect,connection_name,constraint,constraint_catalog,constraint_name,constraint_schema,constraints,constructors,contains,continue,convert,corr,corresponding,count,covar_pop,covar_samp,create,cross,cube,cume_dist,current,current_collation,current_date,current_default_transform_group,current_path,current_role,current_time,current_timestamp,current_transform_group_for_type,current_user,cursor,cursor_name,cycle,data,date,datetime_interval_code,datetime_interval_precision,day,deallocate,dec,decimal,declare,default,defaults,deferrable,deferred,defined,definer,degree,delete,dense_rank,depth,deref,derived,desc,describe,descriptor,deterministic,diagnostics,disconnect,dispatch,distinct,domain,double,drop,dynamic,dynamic_function,dynamic_function_code,each,element,else,end,end-exec,equals,escape,every,except,exception,exclude,excluding,exec,execute,exists,exp,external,extract,false,fetch,filter,final,first,float,floor,following,for,foreign,fortran,found,free,from,full,function,fusion,g,general,get,global,go,goto,grant,granted,group,grouping,having,hierarchy,hold,hour,identity,immediate,implementation,in,including,increment,indicator,initially,inner,inout,input,insensitive,insert,instance,instantiable,int,integer,intersect,intersection,interval,into,invoker,is,isolation,join,k,key,key_member,key_type,language,large,last,lateral,leading,left,length,level,like,ln,local,localtime,localtimestamp,locator,lower,m,map,match,matched,max,maxvalue,member,merge,message_length,message_octet_length,message_text,method,min,minute,minvalue,mod,modifies,module,month,more,multiset,mumps,name,names,national,natural,nchar,nclob,nesting,new,next,no,none,normalize,normalized,not,"null",nullable,nullif,nulls,number,numeric,object,octet_length,octets,of,old,on,only,open,option,options,or,order,ordering,ordinality,others,out,outer,output,over,overlaps,overlay,overriding,pad,parameter,parameter_mode,parameter_name,parameter_ordinal_position,parameter_specific_catalog,parameter_specific_name,parameter_specific_schema,partial,partition,pascal,path,percent_rank,percentile_cont,percentile_disc,placing,pli,position,power,preceding,precision,prepare,preserve,primary,prior,privileges,procedure,public,range,rank,read,reads,real,recursive,ref,references,referencing,regr_avgx,regr_avgy,regr_count,regr_intercept,regr_r2,regr_slope,regr_sxx,regr_sxy,regr_syy,relative,release,repeatable,restart,result,return,returned_cardinality,returned_length,returned_octet_length,returned_sqlstate,returns,revoke,right,role,rollback,rollup,routine,routine_catalog,routine_name,routine_schema,row,row_count,row_number,rows,savepoint,scale,schema,schema_name,scope_catalog,scope_name,scope_schema,scroll,search,second,section,security,select,self,sensitive,sequence,serializable,server_name,session,session_user,set,sets,similar,simple,size,smallint,some,source,space,specific,specific_name,specifictype,sql,sqlexception,sqlstate,sqlwarning,sqrt,start,state,statement,static,stddev_pop,stddev_samp,structure,style,subclass_origin,submultiset,substring,sum,symmetric,system,system_user,table,table_name,tablesample,temporary,then,ties,time,timestamp,timezone_hour,timezone_minute,to,top_level_count,trailing,transaction,transaction_active,transactions_committed,transactions_rolled_back,transform,transforms,translate,translation,treat,trigger,trigger_catalog,trigger_name,trigger_schema,trim,true,type,uescape,unbounded,uncommitted,under,union,unique,unknown,unnamed,unnest,update,upper,usage,user,user_defined_type_catalog,user_defined_type_code,user_defined_type_name,user_defined_type_schema,using,value,values,var_pop,var_samp,varchar,varying,view,when,whenever,where,width_bucket,window,with,within,without,work,write,year,zone}'::text[])

-- name: column probe pg_enum
-- compare: rows
-- source: PostgreUtils.java (DBeaver checks that a catalog column exists: "SELECT col FROM pg_catalog.table WHERE 1<>1 LIMIT 1"; as captured from DBeaver 25.1.5)
-- mode: extended
-- expect: rows 0
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1

-- name: column probe reltype
-- source: PostgreUtils.java column probe, as captured from DBeaver 25.1.5
-- mode: extended
-- expect: rows 0
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1

-- name: pgjdbc type name by oid
-- source: pgjdbc TypeInfoCache.java prepareGetNameStatement (type of a result column it does not know: 1034 = aclitem[])
-- param: int4 1034
-- expect: row t | pg_catalog | _aclitem
SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = $1

-- name: schemas
-- source: PostgreDatabase.java SchemaCache (no filter)
-- mode: extended
-- expect: cell public
-- expect: cell pg_catalog
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname

-- name: schema id public
-- source: PostgreSchema.java schema id lookup
-- param: varchar public
-- capture: public_oid
-- expect: rows 1
SELECT s.oid as schema_id
from pg_catalog.pg_namespace s
WHERE s.nspname =$1

-- name: schema id pg_catalog
-- source: PostgreSchema.java schema id lookup
-- param: varchar pg_catalog
-- capture: catalog_oid
-- expect: rows 1
SELECT s.oid as schema_id
from pg_catalog.pg_namespace s
WHERE s.nspname =$1

-- name: data types of pg_catalog
-- source: PostgreDataTypeCache.java prepareObjectsStatement (typcategory known, not all types)
-- param: int8 ${catalog_oid}
-- expect: cell int8
-- expect: cell numeric
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')
AND t.typnamespace=$1 

-- name: tables of public
-- source: PostgreSchema.java TableCache.prepareLookupStatement (server 10+)
-- param: int8 ${public_oid}
-- expect: cell lineitem
-- expect: rows 8
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=$1 AND c.relkind not in ('i','I','c')

-- name: table lineitem
-- source: PostgreSchema.java TableCache.prepareLookupStatement for one object
-- param: int8 ${public_oid}
-- param: varchar lineitem
-- capture: table_oid
-- expect: rows 1
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=$1 AND c.relkind not in ('i','I','c') AND relname=$2

-- name: relation statistics
-- source: PostgreSchema.java collectObjectStatistics
-- param: int8 ${public_oid}
-- expect: rows 8
select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
FROM pg_class c
WHERE c.relnamespace=$1

-- name: inheritance
-- compare: rows
-- source: PostgreSchema.java table inheritance
-- param: int8 ${public_oid}
-- expect: rows 0
SELECT i.inhrelid relid, pc.relnamespace parent_ns, pc.oid parent_oid, i.inhseqno
FROM pg_catalog.pg_inherits i, pg_class rc, pg_class pc
WHERE rc.oid=i.inhrelid AND rc.relnamespace=$1 AND pc.oid=i.inhparent

-- name: columns of lineitem
-- expect: row l_quantity | 1700
-- expect: row l_shipdate | 1082
-- source: PostgreSchema.java TableCache.prepareChildrenStatement for one table (sequences supported)
-- param: int8 ${table_oid}
-- expect: cell l_shipdate
-- shapediff: attmissingval is text[], PostgreSQL oid 2277
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=$1
ORDER BY a.attnum

-- name: constraints of lineitem
-- compare: rows
-- source: PostgreSchema.java ConstraintCache.prepareObjectsStatement for one table
-- param: int8 ${table_oid}
-- expect: rows 0
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE c.conrelid=$1
ORDER BY c.oid

-- name: indexes of lineitem
-- source: PostgreSchema.java IndexCache.prepareObjectsStatement for one table
-- param: int8 ${table_oid}
-- expect: rows 0
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  i.indrelid=$1 ORDER BY c.relname

-- name: pgjdbc type of a result column
-- source: TypeInfoCache.java getSQLType query with typoid (pgjdbc resolves an unknown result type, 1034 = aclitem[] of pg_class.relacl)
-- param: int4 1034
-- expect: rows 1
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = $1  ORDER BY sp.r, pg_type.oid DESC;

-- name: data editor
-- source: DBeaver's data editor of a table (pgjdbc setMaxRows(200) limits the rows on the client)
-- mode: extended
-- expect: minrows 200
SELECT * FROM public.lineitem
