/**
 * The host TAP driver's offload helpers, without a TAP: the verdict on a received virtio-net header
 * (hal/host/vnet.ts; garbage is a counted drop, never a throw), the header of a sent frame, and the
 * segmentation offload (hal/host/gso.ts): segments gathered into one GSO frame and a GSO frame cut
 * back into those same segments.
 */
import assert from 'node:assert/strict';
import {
  vnetRxVerdict, vnetTxHeader, VNET_HDR_LEN, VNET_RX_BAD, VNET_RX_CSUM_OK, VNET_RX_PLAIN,
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_TCPV4,
} from '../../hal/host/vnet.js';
import { GsoGather, splitGso, jsPiece, type ByteCopy, type PieceFn } from '../../hal/host/gso.js';
import { loadTapAddon } from '../../hal/host/tap.js';
import { eth, ip, ipv4, icmpEcho, pattern, put16, put32, get16, cksum } from '../helpers/frames.js';

const A = ip('10.0.0.1');
const B = ip('10.0.0.2');
const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 1]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 2]);

const copy: ByteCopy = (dst, doff, src, soff, n) => {
  dst.set(src.subarray(soff, soff + n), doff);
  return n;
};
const piece = jsPiece(copy);
/** The TAP addon's C `piece` when it is built (npm ci builds it), checked against the JavaScript one. */
const addonPiece = (loadTapAddon() as { piece?: PieceFn } | null)?.piece;

/** An Ethernet + IPv4 + TCP frame (20-byte TCP header), the TCP checksum field left as `sumField`. */
function tcpFrame(seq: number, payload: Uint8Array, opts: { flags?: number; ack?: number; win?: number; id?: number; sumField?: number } = {}): Uint8Array {
  const t = new Uint8Array(20 + payload.length);
  put16(t, 0, 7); put16(t, 2, 40000); put32(t, 4, seq >>> 0); put32(t, 8, opts.ack ?? 1234);
  t[12] = 5 << 4; t[13] = opts.flags ?? 0x10; put16(t, 14, opts.win ?? 8192);
  put16(t, 16, opts.sumField ?? 0);
  t.set(payload, 20);
  return eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 6, id: opts.id ?? 1, df: true }, t));
}

function hdr(flags: number, gso: number, start = 0, offset = 0, gsoSize = 0, hdrLen = 0): Uint8Array {
  const h = new Uint8Array(VNET_HDR_LEN);
  h[0] = flags; h[1] = gso;
  h[2] = hdrLen & 0xff; h[3] = hdrLen >> 8; h[4] = gsoSize & 0xff; h[5] = gsoSize >> 8;
  h[6] = start & 0xff; h[7] = start >> 8; h[8] = offset & 0xff; h[9] = offset >> 8;
  return h;
}

describe('host TAP offload: virtio-net header verdicts', () => {
  it('DATA_VALID and NEEDS_CSUM on the TCP/UDP field vouch for the checksum; no flag leaves it to the stack', () => {
    const f = tcpFrame(1, pattern(100));
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0), f, 0, f.length), VNET_RX_CSUM_OK);
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 16), f, 0, f.length), VNET_RX_CSUM_OK);
    assert.equal(vnetRxVerdict(hdr(0, 0), f, 0, f.length), VNET_RX_PLAIN);
  });

  it('garbage is BAD, not a throw: a GSO type we never asked for, unknown flags, offsets outside the frame', () => {
    const f = tcpFrame(1, pattern(100));
    assert.equal(vnetRxVerdict(hdr(0, 1), f, 0, f.length), VNET_RX_BAD);
    assert.equal(vnetRxVerdict(hdr(0, 0xff), f, 0, f.length), VNET_RX_BAD);
    assert.equal(vnetRxVerdict(hdr(0x80, 0), f, 0, f.length), VNET_RX_BAD);
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 0xffff), f, 0, f.length), VNET_RX_BAD);
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0xffff, 0), f, 0, f.length), VNET_RX_BAD);
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 2, 0), f, 0, f.length), VNET_RX_BAD);
    for (let i = 0; i < 200; i++) {
      const h = Uint8Array.from(pattern(VNET_HDR_LEN, i));
      const v = vnetRxVerdict(h, f.slice(), 0, f.length);
      assert.ok(v === VNET_RX_BAD || v === VNET_RX_PLAIN || v === VNET_RX_CSUM_OK);
    }
  });

  it('NEEDS_CSUM anywhere else (an ICMP message) is completed by the driver: the stack checks a finished sum', () => {
    const icmp = icmpEcho(8, 1, 1, pattern(33));
    const right = get16(icmp, 2);
    // the field holds a partial sum (here 0): the kernel left it to the NIC
    put16(icmp, 2, 0);
    const f = eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 1 }, icmp));
    assert.equal(vnetRxVerdict(hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 2), f, 0, f.length), VNET_RX_PLAIN);
    assert.equal(get16(f, 36), right);
    assert.equal(cksum(f, 34, f.length - 34), 0);
  });

  it('a sent IPv4 TCP segment gets NEEDS_CSUM at the TCP checksum when the stack offloads; anything else a plain header', () => {
    const h = new Uint8Array(VNET_HDR_LEN).fill(0xee);
    const f = tcpFrame(1, pattern(10));
    vnetTxHeader(h, f, 0, f.length, true);
    assert.deepEqual([...h], [VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 16, 0]);
    vnetTxHeader(h, f, 0, f.length, false);
    assert.deepEqual([...h], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const ping = eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 1 }, icmpEcho(8, 1, 1, pattern(8))));
    vnetTxHeader(h, ping, 0, ping.length, true);
    assert.deepEqual([...h], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('host TAP offload: segmentation (GSO) both ways', () => {
  const MSS = 1000;
  /** Three full segments and a short one, as the stack sends them (ids counting up, PSH on the last). */
  function segments(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const n = i < 3 ? MSS : 300;
      out.push(tcpFrame(0xfffff000 + i * MSS, pattern(n, i), { id: 100 + i, flags: i === 3 ? 0x18 : 0x10 }));
    }
    return out;
  }

  it('gathers consecutive full segments into one GSO frame, and cutting it gives the same segments back', () => {
    const segs = segments();
    const g = new GsoGather(copy);
    for (const s of segs) assert.ok(g.add(s, 0, s.length));
    assert.equal(g.segs, 4);
    let wrote: { h: Uint8Array; f: Uint8Array } | null = null;
    const total = g.len;
    assert.equal(g.flush((h, b, off, len) => { wrote = { h: h.slice(), f: b.slice(off, off + len) }; return len; }), total);
    const w = wrote as unknown as { h: Uint8Array; f: Uint8Array };
    assert.equal(w.h[1], VIRTIO_NET_HDR_GSO_TCPV4);
    assert.equal(w.h[4] | (w.h[5] << 8), MSS);
    assert.equal(w.h[2], 54);
    assert.equal(cksum(w.f, 14, 20), 0, 'IPv4 header checksum of the gathered frame');
    assert.equal(get16(w.f, 16), w.f.length - 14);
    assert.equal(w.f[47], 0x18, 'PSH of the last segment');
    // cut it back into a pool stand-in
    const mem = new Uint8Array(8 * 1600);
    const got: { at: number; len: number; ok: boolean }[] = [];
    let next = 0;
    let held = -1;
    const sink = {
      rxMemory: mem,
      rxReserve: () => { if (held < 0) held = (next++) * 1600; return held; },
      rxCommit: (len: number, ok?: boolean) => { got.push({ at: held, len, ok: ok === true }); held = -1; },
    };
    assert.equal(splitGso(w.h, w.f, w.f.length, 1600, sink, piece), 4);
    assert.equal(got.length, 4);
    for (let i = 0; i < 4; i++) {
      const a = mem.slice(got[i].at, got[i].at + got[i].len);
      const b = segs[i];
      assert.ok(got[i].ok);
      assert.equal(a.length, b.length);
      // identical but for the TCP checksum field (a partial sum, the kernel's to finish)
      a[50] = b[50]; a[51] = b[51];
      assert.deepEqual(a, b, 'segment ' + i);
    }
  });

  it('a PSH in the middle does not end the gathering: the pushes collapse onto the last piece (RFC 1122 4.2.2.2)', () => {
    // one segment per ACK, each written by its own tcp_write: every segment carries PSH
    const segs: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) segs.push(tcpFrame(5000 + i * MSS, pattern(MSS, i), { id: 7 + i, flags: 0x18 }));
    segs.push(tcpFrame(5000 + 3 * MSS, pattern(MSS, 3), { id: 10, flags: 0x10 }));
    const g = new GsoGather(copy);
    for (const s of segs) assert.ok(g.add(s, 0, s.length), 'gathered after a PSH');
    assert.equal(g.segs, 4);
    let w: { h: Uint8Array; f: Uint8Array } | null = null;
    g.flush((h, b, off, len) => { w = { h: h.slice(), f: b.slice(off, off + len) }; return len; });
    const got = w as unknown as { h: Uint8Array; f: Uint8Array };
    assert.equal(got.h[1], VIRTIO_NET_HDR_GSO_TCPV4);
    assert.equal(got.f[47], 0x18, 'the gathered frame keeps the PSH although its last segment had none');
    const mem = new Uint8Array(8 * 1600);
    const cut: { at: number; len: number }[] = [];
    let next = 0;
    let held = -1;
    const sink = {
      rxMemory: mem,
      rxReserve: () => { if (held < 0) held = (next++) * 1600; return held; },
      rxCommit: (len: number) => { cut.push({ at: held, len }); held = -1; },
    };
    assert.equal(splitGso(got.h, got.f, got.f.length, 1600, sink, piece), 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(mem[cut[i].at + 47], i === 3 ? 0x18 : 0x10, 'PSH on the last piece only: ' + i);
      assert.deepEqual(mem.slice(cut[i].at + 54, cut[i].at + cut[i].len), pattern(MSS, i), 'payload ' + i);
    }
  });

  it('gathers at most maxSegs segments into one frame', () => {
    const g = new GsoGather(copy, 3);
    const segs: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) segs.push(tcpFrame(9000 + i * MSS, pattern(MSS, i)));
    for (let i = 0; i < 3; i++) assert.ok(g.add(segs[i], 0, segs[i].length));
    assert.equal(g.add(segs[3], 0, segs[3].length), false, 'the fourth starts a new frame');
    assert.equal(g.segs, 3);
    assert.equal(new GsoGather(copy, 0).maxSegs, 1);
  });

  it('does not gather what the kernel could not cut back the same: other ACK, short middle segment, SYN, a gap', () => {
    const g = new GsoGather(copy);
    const a = tcpFrame(1000, pattern(MSS));
    assert.ok(g.add(a, 0, a.length));
    const otherAck = tcpFrame(1000 + MSS, pattern(MSS), { ack: 999 });
    assert.equal(g.add(otherAck, 0, otherAck.length), false);
    const gap = tcpFrame(1000 + 2 * MSS, pattern(MSS));
    assert.equal(g.add(gap, 0, gap.length), false);
    const tos = tcpFrame(1000 + MSS, pattern(MSS));
    tos[15] = 0x10;
    assert.equal(g.add(tos, 0, tos.length), false, 'another TOS');
    const ttl = tcpFrame(1000 + MSS, pattern(MSS));
    ttl[22] = 1;
    assert.equal(g.add(ttl, 0, ttl.length), false, 'another TTL');
    const short = tcpFrame(1000 + MSS, pattern(10));
    assert.ok(g.add(short, 0, short.length));
    const after = tcpFrame(1000 + MSS + 10, pattern(10));
    assert.equal(g.add(after, 0, after.length), false, 'nothing after a short segment');
    g.flush((_h, _b, _o, len) => len);
    const syn = tcpFrame(1, new Uint8Array(0), { flags: 0x02 });
    assert.equal(g.add(syn, 0, syn.length), false);
    const ping = eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 1 }, icmpEcho(8, 1, 1, pattern(8))));
    assert.equal(g.add(ping, 0, ping.length), false);
    assert.equal(g.len, 0);
  });

  it('the TAP addon cuts a segment exactly as the JavaScript reference does (flags, ids, sequence wrap, bad ranges)', () => {
    if (addonPiece === undefined) {
      // only when no addon is built at all (no compiler): an addon without `piece` is a stale build
      assert.equal(loadTapAddon(), null, 'the TAP addon is built but has no piece(): rebuild it (npm ci)');
      console.log('      TAP addon not built: only the JavaScript reference was checked');
      return;
    }
    const src = tcpFrame(0xfffffc00, pattern(3500, 9), { id: 0xfffe, flags: 0x80 | 0x18 | 0x01 });
    for (let k = 0; k < 4; k++) {
      const at = 54 + k * 1000;
      const n = Math.min(1000, src.length - at);
      const last = at + n >= src.length;
      const a = new Uint8Array(1600).fill(0xaa);
      const b = new Uint8Array(1600).fill(0xaa);
      assert.equal(piece(a, 10, src, 54, at, n, k, last), 0);
      assert.equal(addonPiece(b, 10, src, 54, at, n, k, last), 0);
      assert.deepEqual(b, a, 'piece ' + k);
      assert.equal(cksum(a, 10 + 14, 20), 0);
    }
    const m = new Uint8Array(100);
    assert.notEqual(addonPiece(m, 0, src, 54, 54, 1000, 0, false), 0, 'past the end of mem');
    assert.notEqual(addonPiece(new Uint8Array(1600), 0, src, 54, src.length - 10, 100, 0, false), 0, 'past the end of src');
    assert.notEqual(addonPiece(new Uint8Array(1600), 0, src, 20, 54, 100, 0, false), 0, 'headers too short');
    assert.notEqual(piece(m, 0, src, 54, 54, 1000, 0, false), 0);
  });

  it('a GSO frame that cannot be cut is refused (-1, a counted drop), never a throw; an empty pool stops the cut', () => {
    const f = tcpFrame(1, pattern(3000));
    const mem = new Uint8Array(4 * 1600);
    let n = 0;
    const sink = { rxMemory: mem, rxReserve: () => (n < 2 ? n * 1600 : -1), rxCommit: () => { n++; } };
    const h = (size: number, flags = VIRTIO_NET_HDR_F_NEEDS_CSUM) => hdr(flags, VIRTIO_NET_HDR_GSO_TCPV4, 34, 16, size, 54);
    assert.equal(splitGso(h(0), f, f.length, 1600, sink, piece), -1, 'gso_size 0');
    assert.equal(splitGso(h(1600), f, f.length, 1600, sink, piece), -1, 'pieces longer than a pbuf');
    assert.equal(splitGso(h(1000, 0), f, f.length, 1600, sink, piece), -1, 'no checksum flag');
    assert.equal(splitGso(h(1000), f, f.length - 1, 1600, sink, piece), -1, 'IP length and frame disagree');
    const ping = eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 1 }, icmpEcho(8, 1, 1, pattern(8))));
    assert.equal(splitGso(h(1000), ping, ping.length, 1600, sink, piece), -1, 'not TCP');
    assert.equal(n, 0);
    // 3 pieces, the pool has 2 pbufs: two are committed, the third dropped (the stack counted it)
    assert.equal(splitGso(h(1000), f, f.length, 1600, sink, piece), 2);
    for (let i = 0; i < 100; i++) {
      const junk = Uint8Array.from(pattern(VNET_HDR_LEN, i));
      junk[1] = VIRTIO_NET_HDR_GSO_TCPV4;
      splitGso(junk, f, f.length, 1600, { rxMemory: mem, rxReserve: () => 0, rxCommit: () => {} }, piece);
    }
  });
});
