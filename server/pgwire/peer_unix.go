//go:build unix

package pgwire

import (
	"net"
	"syscall"
)

// peerClosed peeks at the socket without consuming or waiting: a read of
// zero bytes means the client sent FIN (and nothing left unread), an error
// other than "would block" means the connection is broken. Pipelined
// messages waiting to be read count as alive.
func peerClosed(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		case err != nil:
			closed = true
		case n == 0:
			closed = true
		}
		return true // never wait for data
	})
	return closed || err != nil
}
