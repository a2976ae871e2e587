package exchange

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// tokenHeader is the gRPC metadata key carrying the cluster token.
const tokenHeader = "basalt-cluster-token"

// Token derives the secret every exchange call carries from the cluster
// key: an HMAC of a fixed label, so the key itself (which also encrypts
// gossip) never crosses the wire, and nodes with different keys cannot
// talk. Nodes started without a key share the empty key's token.
func Token(clusterKey []byte) string {
	m := hmac.New(sha256.New, clusterKey)
	m.Write([]byte("basalt flight exchange v1"))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// authenticator checks the token of every incoming call.
type authenticator struct {
	token string
	log   *log.Logger
}

func (a *authenticator) check(ctx context.Context, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	got := md.Get(tokenHeader)
	if len(got) == 1 && subtle.ConstantTimeCompare([]byte(got[0]), []byte(a.token)) == 1 {
		return nil
	}
	from := "unknown peer"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		from = p.Addr.String()
	}
	why := "wrong cluster token"
	if len(got) == 0 {
		why = "no cluster token"
	}
	a.log.Printf("exchange: refused %s from %s: %s", method, from, why)
	return status.Error(codes.Unauthenticated, "exchange: "+why+" (is the node started with the cluster's --cluster-key?)")
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// tokenCreds attaches the token to outgoing calls.
func tokenCreds(token string) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return inv(metadata.AppendToOutgoingContext(ctx, tokenHeader, token), method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, str grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return str(metadata.AppendToOutgoingContext(ctx, tokenHeader, token), desc, cc, method, opts...)
		}),
	}
}
