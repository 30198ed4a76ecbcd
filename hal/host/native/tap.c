/*
 * xs_tcp_tap: the few system calls a Linux TAP device needs that Node cannot make by itself.
 *
 * Node's fs module can read and write a file descriptor but cannot issue ioctl(TUNSETIFF), which is
 * what attaches an open /dev/net/tun descriptor to a named TAP interface (linux/if_tun.h). This
 * addon uses only Node-API (node_api.h) plus libuv's uv_poll from Node's own headers, so it builds
 * with node-gyp from the headers Node ships, with no npm dependency, and keeps working across Node
 * versions (Node-API is ABI-stable).
 *
 *   open(name, nonblock, vnet) -> fd   TUNSETIFF(IFF_TAP | IFF_NO_PI [| IFF_VNET_HDR]) on an EXISTING TAP
 *   read(fd, u8, off, n)  -> bytes, or -errno (-EAGAIN when no frame is waiting): no exception per call
 *   write(fd, u8, off, n) -> bytes, or -errno
 *   offload(fd, flags)    -> 0 or -errno   TUNSETOFFLOAD (TUN_F_CSUM ...: what the kernel may hand us)
 *   readv(fd, hdr, u8, off, n)  -> frame bytes (the header not counted), or -errno: a descriptor
 *                            opened with vnet puts a struct virtio_net_hdr (10 bytes, linux/virtio_net.h)
 *                            in front of every frame; readv() puts it into `hdr` and the frame at u8[off]
 *   writev(fd, hdr, u8, off, n) -> frame bytes written, or -errno: the same, on the way out
 *   copy(dst, doff, src, soff, n) -> n, or -EINVAL: memcpy between two Uint8Arrays (Buffer.copy and
 *                            set(subarray) allocate a view per call; the segmentation offload copies
 *                            per segment)
 *   piece(mem, o, src, hlen, at, n, k, last) -> 0, or -EINVAL: one segment of a GSO frame (src: an
 *                            Ethernet + IPv4 + TCP frame with hlen header bytes) written at mem[o]: the
 *                            headers, the n payload bytes from src[at], IPv4 total length, id + k and
 *                            header checksum, TCP sequence + (at - hlen), PSH/FIN kept only when
 *                            `last`, CWR only on the first (k 0); hal/host/gso.ts has the same in JS
 *   poll(fd, callback)    -> handle   callback() runs on the JS thread whenever the fd is readable
 *   pollStop(handle)
 *
 * Reading on the JS thread after a uv_poll readiness event keeps frames in order, costs one read()
 * per frame and no thread hand-off; see hal/host/tap.ts for the measurements behind that choice.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/if_tun.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "xs_tcp_tap: N-API call failed");   \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

/* Throws an Error whose .code is `code` (e.g. "ENODEV") and whose message explains what to do. */
static napi_value throw_coded(napi_env env, const char *code, const char *msg) {
  napi_value ecode, emsg, err;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &ecode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &emsg);
  napi_create_error(env, ecode, emsg, &err);
  napi_throw(env, err);
  return NULL;
}

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    default: return "EIO";
  }
}

static napi_value tap_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  bool nonblock = true;
  bool vnet = false;
  char name[IFNAMSIZ + 1];
  size_t nlen = 0;
  char msg[512];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok)
    return throw_coded(env, "EINVAL", "open(name): name must be a string");
  if (argc >= 2) napi_get_value_bool(env, argv[1], &nonblock);
  if (argc >= 3) napi_get_value_bool(env, argv[2], &vnet);
  if (nlen == 0 || nlen >= IFNAMSIZ)
    return throw_coded(env, "EINVAL", "TAP name must be 1..15 characters");

  /* TUNSETIFF with a name that does not exist CREATES a device (when we have CAP_NET_ADMIN); we only
   * attach to one the user made, so that a typo is an error rather than a new, unconfigured device. */
  if (if_nametoindex(name) == 0) {
    snprintf(msg, sizeof msg,
             "no such device: network interface '%s' does not exist (create it once with: "
             "sudo ip tuntap add dev %s mode tap user $USER && sudo ip link set %s up)", name, name, name);
    return throw_coded(env, "ENODEV", msg);
  }
  char path[64 + IFNAMSIZ];
  struct stat st;
  snprintf(path, sizeof path, "/sys/class/net/%s/tun_flags", name);
  if (stat(path, &st) != 0) {
    snprintf(msg, sizeof msg, "'%s' exists but is not a TUN/TAP device", name);
    return throw_coded(env, "EINVAL", msg);
  }

  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENODEV || e == ENXIO)
      snprintf(msg, sizeof msg, "cannot open /dev/net/tun: %s (the tun module is not loaded or the device "
               "node is missing: sudo modprobe tun)", strerror(e));
    else if (e == EACCES || e == EPERM)
      snprintf(msg, sizeof msg, "no permission to open /dev/net/tun: %s (run as root, or as the TAP's owner "
               "given by 'ip tuntap add ... user NAME')", strerror(e));
    else
      snprintf(msg, sizeof msg, "cannot open /dev/net/tun: %s", strerror(e));
    return throw_coded(env, errno_code(e), msg);
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  /* IFF_VNET_HDR is a per-descriptor feature: a TAP made without it can be attached with it */
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, nlen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    if (e == EPERM || e == EACCES)
      snprintf(msg, sizeof msg, "no permission to attach to TAP '%s': %s (it belongs to another user; create "
               "it with 'sudo ip tuntap add dev %s mode tap user $USER', or run as root)", name, strerror(e), name);
    else if (e == EBUSY)
      snprintf(msg, sizeof msg, "TAP '%s' is busy: another process has it open", name);
    else if (e == EINVAL)
      snprintf(msg, sizeof msg, "cannot attach to '%s' as a TAP: %s (is it a TUN device? it must be made "
               "with 'mode tap')", name, strerror(e));
    else
      snprintf(msg, sizeof msg, "TUNSETIFF on '%s' failed: %s", name, strerror(e));
    return throw_coded(env, errno_code(e), msg);
  }
  napi_value result;
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

/* Reads the (fd, u8, off, len) arguments shared by read and write; returns 0 on success. */
static int io_args(napi_env env, napi_callback_info info, int *fd, uint8_t **base, size_t *len) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t off = 0, n = 0;
  napi_typedarray_type type;
  size_t tlen = 0, boff = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return -1;
  if (napi_get_value_int32(env, argv[0], fd) != napi_ok) return -1;
  if (napi_get_typedarray_info(env, argv[1], &type, &tlen, &data, &ab, &boff) != napi_ok) return -1;
  if (type != napi_uint8_array) return -1;
  if (napi_get_value_int32(env, argv[2], &off) != napi_ok) return -1;
  if (napi_get_value_int32(env, argv[3], &n) != napi_ok) return -1;
  if (off < 0 || n < 0 || (size_t)off + (size_t)n > tlen) return -1;
  *base = (uint8_t *)data + off;
  *len = (size_t)n;
  return 0;
}

static napi_value tap_read(napi_env env, napi_callback_info info) {
  int fd;
  uint8_t *p;
  size_t n;
  napi_value result;
  if (io_args(env, info, &fd, &p, &n) != 0)
    return throw_coded(env, "EINVAL", "read(fd, u8, off, len): bad arguments");
  ssize_t r;
  do { r = read(fd, p, n); } while (r < 0 && errno == EINTR);
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &result));
  return result;
}

static napi_value tap_write(napi_env env, napi_callback_info info) {
  int fd;
  uint8_t *p;
  size_t n;
  napi_value result;
  if (io_args(env, info, &fd, &p, &n) != 0)
    return throw_coded(env, "EINVAL", "write(fd, u8, off, len): bad arguments");
  ssize_t r;
  do { r = write(fd, p, n); } while (r < 0 && errno == EINTR);
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &result));
  return result;
}

#define VNET_HDR_LEN 10 /* sizeof(struct virtio_net_hdr): the kernel's default TUNSETVNETHDRSZ */

/* readv/writev: (fd, hdr, u8, off, len) with hdr a Uint8Array of at least VNET_HDR_LEN bytes. */
static napi_value tap_vec(napi_env env, napi_callback_info info, int out) {
  size_t argc = 5;
  napi_value argv[5], result;
  int32_t fd = -1, off = 0, n = 0;
  napi_typedarray_type type;
  size_t tlen = 0, boff = 0, hlen = 0;
  void *data = NULL, *hdr = NULL;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5
      || napi_get_value_int32(env, argv[0], &fd) != napi_ok
      || napi_get_typedarray_info(env, argv[1], &type, &hlen, &hdr, &ab, &boff) != napi_ok || type != napi_uint8_array
      || hlen < VNET_HDR_LEN
      || napi_get_typedarray_info(env, argv[2], &type, &tlen, &data, &ab, &boff) != napi_ok || type != napi_uint8_array
      || napi_get_value_int32(env, argv[3], &off) != napi_ok || napi_get_value_int32(env, argv[4], &n) != napi_ok
      || off < 0 || n < 0 || (size_t)off + (size_t)n > tlen)
    return throw_coded(env, "EINVAL", out ? "writev(fd, hdr, u8, off, len): bad arguments" : "readv(fd, hdr, u8, off, len): bad arguments");
  struct iovec iov[2];
  iov[0].iov_base = hdr;
  iov[0].iov_len = VNET_HDR_LEN;
  iov[1].iov_base = (uint8_t *)data + off;
  iov[1].iov_len = (size_t)n;
  ssize_t r;
  do { r = out ? writev(fd, iov, 2) : readv(fd, iov, 2); } while (r < 0 && errno == EINTR);
  /* a transfer shorter than the header carries no frame: -EIO, never a negative length */
  int32_t v = r < 0 ? -errno : r < VNET_HDR_LEN ? -EIO : (int32_t)(r - VNET_HDR_LEN);
  CHECK(napi_create_int32(env, v, &result));
  return result;
}

static napi_value tap_readv(napi_env env, napi_callback_info info) { return tap_vec(env, info, 0); }
static napi_value tap_writev(napi_env env, napi_callback_info info) { return tap_vec(env, info, 1); }

static napi_value tap_copy(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result, ab;
  int32_t doff = 0, soff = 0, n = 0;
  napi_typedarray_type type;
  size_t dlen = 0, slen = 0, boff = 0;
  void *dst = NULL, *src = NULL;
  int32_t v = -EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 5
      && napi_get_typedarray_info(env, argv[0], &type, &dlen, &dst, &ab, &boff) == napi_ok && type == napi_uint8_array
      && napi_get_value_int32(env, argv[1], &doff) == napi_ok
      && napi_get_typedarray_info(env, argv[2], &type, &slen, &src, &ab, &boff) == napi_ok && type == napi_uint8_array
      && napi_get_value_int32(env, argv[3], &soff) == napi_ok && napi_get_value_int32(env, argv[4], &n) == napi_ok
      && doff >= 0 && soff >= 0 && n >= 0 && (size_t)doff + (size_t)n <= dlen && (size_t)soff + (size_t)n <= slen) {
    memmove((uint8_t *)dst + doff, (uint8_t *)src + soff, (size_t)n);
    v = n;
  }
  CHECK(napi_create_int32(env, v, &result));
  return result;
}

static int arg_u8(napi_env env, napi_value v, uint8_t **p, size_t *len) {
  napi_typedarray_type type;
  size_t boff = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &boff) != napi_ok || type != napi_uint8_array) return -1;
  *p = (uint8_t *)data;
  return 0;
}

static napi_value tap_piece(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], result;
  uint8_t *mem = NULL, *src = NULL;
  size_t mlen = 0, slen = 0;
  int32_t o = 0, hlen = 0, at = 0, n = 0, k = 0;
  bool last = false;
  int32_t v = -EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 8
      && arg_u8(env, argv[0], &mem, &mlen) == 0 && napi_get_value_int32(env, argv[1], &o) == napi_ok
      && arg_u8(env, argv[2], &src, &slen) == 0 && napi_get_value_int32(env, argv[3], &hlen) == napi_ok
      && napi_get_value_int32(env, argv[4], &at) == napi_ok && napi_get_value_int32(env, argv[5], &n) == napi_ok
      && napi_get_value_int32(env, argv[6], &k) == napi_ok && napi_get_value_bool(env, argv[7], &last) == napi_ok
      && o >= 0 && n >= 0 && k >= 0 && hlen >= 54 && at >= hlen
      && (size_t)hlen <= slen && (size_t)at + (size_t)n <= slen && (size_t)o + (size_t)hlen + (size_t)n <= mlen) {
    uint8_t *d = mem + o;
    int ihl = (src[14] & 0x0f) << 2;
    if (ihl >= 20 && 14 + ihl + 20 <= hlen) {
      memcpy(d, src, (size_t)hlen);
      memcpy(d + hlen, src + at, (size_t)n);
      uint8_t *ip = d + 14;
      uint32_t l = (uint32_t)(hlen - 14 + n);
      ip[2] = (uint8_t)(l >> 8); ip[3] = (uint8_t)l;
      uint32_t id = ((((uint32_t)src[18] << 8) | src[19]) + (uint32_t)k) & 0xffff;
      ip[4] = (uint8_t)(id >> 8); ip[5] = (uint8_t)id;
      ip[10] = 0; ip[11] = 0;
      uint32_t s = 0;
      for (int i = 0; i < ihl; i += 2) s += ((uint32_t)ip[i] << 8) | ip[i + 1];
      while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
      s = ~s & 0xffff;
      ip[10] = (uint8_t)(s >> 8); ip[11] = (uint8_t)s;
      uint8_t *t = ip + ihl;
      uint32_t seq = (((uint32_t)t[4] << 24) | ((uint32_t)t[5] << 16) | ((uint32_t)t[6] << 8) | t[7]) + (uint32_t)(at - hlen);
      t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16); t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
      if (!last) t[13] &= (uint8_t)~0x09; /* PSH, FIN */
      if (k != 0) t[13] &= (uint8_t)~0x80; /* CWR */
      v = 0;
    }
  }
  CHECK(napi_create_int32(env, v, &result));
  return result;
}

static napi_value tap_offload(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t fd = -1;
  uint32_t flags = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_uint32(env, argv[1], &flags) != napi_ok)
    return throw_coded(env, "EINVAL", "offload(fd, flags): bad arguments");
  int r = ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags);
  CHECK(napi_create_int32(env, r < 0 ? -errno : 0, &result));
  return result;
}

/* One readiness watcher per open TAP. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  int stopped;
} tap_poll_t;

static void on_poll_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  tap_poll_t *tp = (tap_poll_t *)h->data;
  if (tp->stopped) return;
  napi_env env = tp->env;
  napi_handle_scope scope;
  napi_value cb, global, result;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, tp->callback, &cb) == napi_ok && napi_get_global(env, &global) == napi_ok) {
    /* Errors thrown by the callback surface as an uncaught exception, like any Node callback. */
    if (napi_call_function(env, global, cb, 0, NULL, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value tap_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], ext;
  int32_t fd;
  napi_valuetype t;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function)
    return throw_coded(env, "EINVAL", "poll(fd, callback): bad arguments");
  CHECK(napi_get_uv_event_loop(env, &loop));
  tap_poll_t *tp = (tap_poll_t *)calloc(1, sizeof *tp);
  if (tp == NULL) return throw_coded(env, "ENOMEM", "out of memory");
  tp->env = env;
  if (uv_poll_init(loop, &tp->poll, fd) != 0) {
    free(tp);
    return throw_coded(env, "EIO", "uv_poll_init failed");
  }
  tp->poll.data = tp;
  CHECK(napi_create_reference(env, argv[1], 1, &tp->callback));
  if (uv_poll_start(&tp->poll, UV_READABLE, on_readable) != 0) {
    tp->stopped = 1;
    uv_close((uv_handle_t *)&tp->poll, on_poll_closed);
    return throw_coded(env, "EIO", "uv_poll_start failed");
  }
  /* The external names the watcher; pollStop closes it (the JS driver always calls it on close). */
  CHECK(napi_create_external(env, tp, NULL, NULL, &ext));
  return ext;
}

static napi_value tap_poll_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL)
    return throw_coded(env, "EINVAL", "pollStop(handle): bad handle");
  tap_poll_t *tp = (tap_poll_t *)data;
  if (!tp->stopped) {
    tp->stopped = 1;
    uv_poll_stop(&tp->poll);
    napi_delete_reference(env, tp->callback);
    uv_close((uv_handle_t *)&tp->poll, on_poll_closed);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, tap_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"read", NULL, tap_read, NULL, NULL, NULL, napi_enumerable, NULL},
    {"write", NULL, tap_write, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readv", NULL, tap_readv, NULL, NULL, NULL, napi_enumerable, NULL},
    {"writev", NULL, tap_writev, NULL, NULL, NULL, napi_enumerable, NULL},
    {"offload", NULL, tap_offload, NULL, NULL, NULL, napi_enumerable, NULL},
    {"copy", NULL, tap_copy, NULL, NULL, NULL, napi_enumerable, NULL},
    {"piece", NULL, tap_piece, NULL, NULL, NULL, napi_enumerable, NULL},
    {"poll", NULL, tap_poll, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pollStop", NULL, tap_poll_stop, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
