/**
 * The Linux numbers and names a packetdrill script is written against: errno values and their
 * strerror texts, and the constants of socket.h, in.h, tcp.h, fcntl.h and poll.h, so that a script
 * written for Linux reads the same here. Test tooling.
 */
/** Linux errno numbers (asm-generic/errno.h), for SO_ERROR values and messages. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EFAULT: 14, EINVAL: 22,
  EPIPE: 32, ENOTSOCK: 88, EDESTADDRREQ: 89, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103,
  ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
};

export const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted', EBADF: 'Bad file descriptor', EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory', EINVAL: 'Invalid argument', EPIPE: 'Broken pipe',
  ENOPROTOOPT: 'Protocol not available', EOPNOTSUPP: 'Operation not supported',
  EADDRINUSE: 'Address already in use', ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort', ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available', EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected', ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused', EHOSTUNREACH: 'No route to host', EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress', EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** Linux values of the symbols scripts use (socket.h, in.h, tcp.h, fcntl.h, poll.h). */
export const SYMBOLS: Readonly<Record<string, number>> = {
  AF_INET: 2, PF_INET: 2, AF_INET6: 10, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_NONBLOCK: 0x800, SOCK_CLOEXEC: 0x80000,
  IPPROTO_IP: 0, IPPROTO_TCP: 6, IPPROTO_UDP: 17, SOL_SOCKET: 1, SOL_TCP: 6, SOL_IP: 0,
  SO_DEBUG: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_DONTROUTE: 5, SO_BROADCAST: 6, SO_SNDBUF: 7,
  SO_RCVBUF: 8, SO_KEEPALIVE: 9, SO_OOBINLINE: 10, SO_LINGER: 13, SO_REUSEPORT: 15, SO_RCVLOWAT: 18,
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_NONBLOCK: 0x800, O_NDELAY: 0x800, F_GETFL: 3, F_SETFL: 4,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, INADDR_ANY: 0, MSG_NOSIGNAL: 0x4000,
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDNORM: 0x40,
  POLLRDBAND: 0x80, POLLWRNORM: 0x100, POLLWRBAND: 0x200, POLLRDHUP: 0x2000,
};

const POLL_NAMES: readonly [string, number][] = [
  ['POLLIN', 0x1], ['POLLPRI', 0x2], ['POLLOUT', 0x4], ['POLLERR', 0x8], ['POLLHUP', 0x10], ['POLLNVAL', 0x20],
  ['POLLRDNORM', 0x40], ['POLLRDBAND', 0x80], ['POLLWRNORM', 0x100], ['POLLWRBAND', 0x200], ['POLLRDHUP', 0x2000],
];

/** A poll mask as Linux names its bits (for messages). */
export function pollText(mask: number): string {
  if (mask === 0) return '0';
  return POLL_NAMES.filter(([, v]) => (mask & v) !== 0).map(([n]) => n).join('|');
}

