/**
 * A fake LAN on a MockNet raw port, written from RFC 2131, RFC 1035 and RFC 6762 independently of
 * src/: a DHCP server (offers from a small pool; lease, T1, T2 and DNS options; NAK and silence on
 * demand), a DNS server (A and CNAME records; wrong ids, spoofed sources, truncation, compression
 * loops on demand), an ARP responder for its address (and, on demand, for an address "already in
 * use"), and an mDNS querier. Plain ECMAScript: it runs inside XS with the scenarios.
 */
import type { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../hal/mock/wire.js';
import { BCAST, eth, arp, ipv4, udp, parse, put16, put32, get16, get32, ip } from '../helpers/frames.js';

export const SERVER_IP = ip('10.0.0.1');
export const MCAST_MAC = new Uint8Array([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);

export interface DnsRecord { a?: number; cname?: string; ttl?: number }

export class LanServer {
  readonly raw: RawEndpoint;
  readonly net: MockNet;
  /** What the DHCP server does: answer, stay silent, or NAK every REQUEST. */
  dhcpMode: 'answer' | 'silent' | 'nak' = 'answer';
  lease = 120;
  t1 = 0;
  t2 = 0;
  nextIp = ip('10.0.0.50');
  /** When set, a renewal is ACKed with this address instead (the server moved us). */
  moveTo = 0;
  /** DHCP messages received: 'DISCOVER@t', 'REQUEST(renew)@t' ... */
  readonly dhcpLog: string[] = [];
  readonly dnsServers = [SERVER_IP];
  /** DNS behaviour for the next answers. */
  dnsMode: 'answer' | 'silent' | 'truncated' | 'loop' | 'badid' | 'spoof' | 'shortAnswer' = 'answer';
  readonly records: Record<string, DnsRecord> = {};
  dnsQueries = 0;
  /** Source ports and ids of the DNS queries seen. */
  readonly queryPorts: number[] = [];
  readonly queryIds: number[] = [];
  /** An address another host owns: ARP probes for it are answered (RFC 5227 conflict). */
  claimed = 0;
  readonly claimedMac = new Uint8Array([0x02, 0xee, 0, 0, 0, 1]);
  /** A name this "other host" owns on mDNS: it answers probes and queries for it. */
  mdnsOwn: { name: string; addr: number } | null = null;
  /** mDNS messages seen from the stack. */
  readonly mdnsSeen: { name: string; addr: number; probe: boolean; time: number; unicast: boolean; id: number }[] = [];
  private leases: Record<string, number> = {};

  constructor(net: MockNet) {
    this.net = net;
    this.raw = net.addRaw('02:00:00:00:00:fe', 'lan');
    this.raw.keep = false;
    this.raw.onFrame((f) => this.frame(f));
  }

  private frame(f: Uint8Array): void {
    const r = parse(f);
    if (r.type === 0x0806) {
      if (r.op === 1 && r.tpa === SERVER_IP && r.spa !== 0) {
        this.raw.send(eth(r.sha!, this.raw.mac, 0x0806, arp(2, this.raw.mac, SERVER_IP, r.sha!, r.spa!)));
      }
      if (r.op === 1 && this.claimed !== 0 && r.tpa === this.claimed && r.spa === 0) {
        this.raw.send(eth(r.sha!, this.claimedMac, 0x0806, arp(2, this.claimedMac, this.claimed, r.sha!, 0)));
      }
      return;
    }
    if (r.type !== 0x0800 || r.proto !== 17 || !r.payload) return;
    const u = r.payload;
    const sport = get16(u, 0);
    const dport = get16(u, 2);
    const data = u.subarray(8, get16(u, 4));
    if (dport === 67) this.dhcp(data, r.srcMac, r.dst!);
    else if (dport === 53 && r.dst === SERVER_IP) this.dns(data, r.src!, sport, r.srcMac);
    else if (dport === 5353 || sport === 5353) this.mdns(data, r.dst!, sport);
  }

  // --- DHCP -----------------------------------------------------------------------------------------

  private dhcp(m: Uint8Array, mac: Uint8Array, dst: number): void {
    const xid = get32(m, 4);
    const ciaddr = get32(m, 12);
    let type = 0; let req = 0; let sid = 0;
    for (let i = 240; i < m.length && m[i] !== 255;) {
      if (m[i] === 0) { i++; continue; }
      const c = m[i]; const l = m[i + 1];
      if (c === 53) type = m[i + 2];
      if (c === 50) req = get32(m, i + 2);
      if (c === 54) sid = get32(m, i + 2);
      i += 2 + l;
    }
    const names = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE'];
    let what = names[type] ?? String(type);
    if (type === 3) what += ciaddr !== 0 ? (dst === SERVER_IP ? '(renew)' : '(rebind)') : (sid !== 0 ? '(select)' : '(reboot)');
    this.dhcpLog.push(what + '@' + this.net.now);
    const key = Array.prototype.join.call(m.subarray(28, 34), ':') as string;
    if (this.dhcpMode === 'silent') return;
    if (type === 1) {
      let y = this.leases[key];
      if (y === undefined) { y = this.nextIp; this.nextIp = (this.nextIp + 1) >>> 0; this.leases[key] = y; }
      this.reply(2, xid, y, mac, m);
    } else if (type === 3) {
      const want = ciaddr !== 0 ? ciaddr : req;
      if (ciaddr !== 0 && this.moveTo !== 0) { this.leases[key] = this.moveTo; this.reply(5, xid, this.moveTo, mac, m); return; }
      if (this.dhcpMode === 'nak' || want !== this.leases[key]) this.reply(6, xid, 0, mac, m);
      else this.reply(5, xid, want, mac, m);
    } else if (type === 4) {
      // declined: that address is in use; the next DISCOVER gets another
      delete this.leases[key];
    } else if (type === 7) {
      delete this.leases[key];
    }
  }

  /** Sends a BOOTP reply of DHCP type `t`, copying chaddr from the request `m`. */
  reply(t: number, xid: number, yiaddr: number, mac: Uint8Array, m: Uint8Array | null, extra?: (o: number[]) => void,
    cut = 300): void {
    const b = new Uint8Array(300);
    b[0] = 2; b[1] = 1; b[2] = 6;
    put32(b, 4, xid);
    put32(b, 16, yiaddr);
    put32(b, 20, SERVER_IP);
    if (m !== null) b.set(m.subarray(28, 44), 28); else b.set(mac, 28);
    put32(b, 236, 0x63825363);
    const o: number[] = [53, 1, t, 54, 4, 10, 0, 0, 1];
    if (t !== 6) {
      o.push(1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1, 6, 4, 10, 0, 0, 1);
      o.push(51, 4, (this.lease >>> 24) & 255, (this.lease >>> 16) & 255, (this.lease >>> 8) & 255, this.lease & 255);
      if (this.t1 > 0) o.push(58, 4, 0, 0, (this.t1 >>> 8) & 255, this.t1 & 255);
      if (this.t2 > 0) o.push(59, 4, 0, 0, (this.t2 >>> 8) & 255, this.t2 & 255);
    }
    if (extra) extra(o);
    o.push(255);
    for (let i = 0; i < o.length && 240 + i < b.length; i++) b[240 + i] = o[i];
    this.sendUdp(BCAST, 0xffffffff, 67, 68, b.subarray(0, cut));
  }

  sendUdp(dstMac: Uint8Array, dst: number, sport: number, dport: number, data: Uint8Array, src = SERVER_IP): void {
    this.raw.send(eth(dstMac, this.raw.mac, 0x0800, ipv4({ src, dst, proto: 17 }, udp(src, dst, sport, dport, data))));
  }

  // --- DNS ------------------------------------------------------------------------------------------

  private dns(q: Uint8Array, src: number, sport: number, mac: Uint8Array): void {
    this.dnsQueries++;
    this.queryPorts.push(sport);
    this.queryIds.push(get16(q, 0));
    if (this.dnsMode === 'silent') return;
    let i = 12;
    const labels: string[] = [];
    while (q[i] !== 0) { labels.push(String.fromCharCode(...q.subarray(i + 1, i + 1 + q[i]))); i += q[i] + 1; }
    const qEnd = i + 5;
    const out: number[] = Array.from(q.subarray(0, qEnd));
    let id = get16(q, 0);
    if (this.dnsMode === 'badid') id ^= 0x5555;
    out[0] = id >> 8; out[1] = id & 255;
    let name = labels.join('.').toLowerCase();
    let an = 0;
    let flags = 0x8180;
    if (this.dnsMode === 'truncated') flags |= 0x0200;
    let owner = 12; // offset of the owner name of the next record (compression pointer)
    for (let hop = 0; hop < 10; hop++) {
      const rec = this.records[name];
      if (rec === undefined) { if (an === 0) flags |= 3; break; }
      const ttl = rec.ttl ?? 300;
      const at = out.length;
      if (this.dnsMode === 'loop') {
        out.push(0xc0 | (at >> 8), at & 255); // a pointer to itself
      } else {
        out.push(0xc0 | (owner >> 8), owner & 255);
      }
      if (rec.cname !== undefined) {
        out.push(0, 5, 0, 1, (ttl >>> 24) & 255, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255);
        const parts = rec.cname.split('.');
        let len = 1; for (const p of parts) len += p.length + 1;
        out.push(len >> 8, len & 255);
        owner = out.length;
        for (const p of parts) { out.push(p.length); for (let k = 0; k < p.length; k++) out.push(p.charCodeAt(k)); }
        out.push(0);
        an++;
        name = rec.cname.toLowerCase();
        continue;
      }
      out.push(0, 1, 0, 1, (ttl >>> 24) & 255, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255, 0, 4);
      const a = rec.a ?? 0;
      out.push(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
      an++;
      break;
    }
    out[2] = flags >> 8; out[3] = flags & 255;
    out[6] = an >> 8; out[7] = an & 255;
    let bytes = new Uint8Array(out);
    if (this.dnsMode === 'shortAnswer') bytes = bytes.subarray(0, bytes.length - 3);
    const from = this.dnsMode === 'spoof' ? ip('10.0.0.99') : SERVER_IP;
    this.sendUdp(mac, src, 53, sport, bytes, from);
  }

  // --- mDNS -----------------------------------------------------------------------------------------

  private mdns(m: Uint8Array, dst: number, dport: number): void {
    const flags = get16(m, 2);
    if ((flags & 0x8000) === 0 && get16(m, 8) > 0) {
      const { name, end } = readName(m, 12);
      this.mdnsSeen.push({ name, addr: 0, probe: true, time: this.net.now, unicast: dst !== 0xe00000fb, id: get16(m, 0) });
      void end;
      if (this.mdnsOwn !== null && this.mdnsOwn.name === name) this.mdnsClaim(name, this.mdnsOwn.addr, false);
      return;
    }
    if ((flags & 0x8000) === 0) return;
    let i = 12;
    for (let k = 0; k < get16(m, 4); k++) i = readName(m, i).end + 4;
    const { name, end } = readName(m, i);
    const addr = get32(m, end + 10);
    this.mdnsSeen.push({ name, addr, probe: false, time: this.net.now, unicast: dst !== 0xe00000fb, id: get16(m, 0) });
    void dport;
  }

  /** Sends an mDNS query for `name` (A) from port `sport` (5353 = a full responder, else legacy). */
  mdnsQuery(name: string, sport: number, qu: boolean, id = 0): void {
    const b: number[] = [id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for (const p of name.split('.')) { b.push(p.length); for (let k = 0; k < p.length; k++) b.push(p.charCodeAt(k)); }
    b.push(0, 0, 1, qu ? 0x80 : 0, 1);
    this.sendUdp(MCAST_MAC, 0xe00000fb, sport, 5353, new Uint8Array(b), ip('10.0.0.1'));
  }

  /** Sends an mDNS response claiming `name` at `addr` (another host's). */
  mdnsClaim(name: string, addr: number, probe: boolean): void {
    const b: number[] = [0, 0, probe ? 0 : 0x84, 0, 0, probe ? 1 : 0, 0, probe ? 0 : 1, 0, probe ? 1 : 0, 0, 0];
    const enc: number[] = [];
    for (const p of name.split('.')) { enc.push(p.length); for (let k = 0; k < p.length; k++) enc.push(p.charCodeAt(k)); }
    enc.push(0);
    if (probe) b.push(...enc, 0, 255, 0x80, 1);
    b.push(...enc, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255);
    this.sendUdp(MCAST_MAC, 0xe00000fb, 5353, 5353, new Uint8Array(b), addr);
  }
}

function readName(m: Uint8Array, i: number): { name: string; end: number } {
  const labels: string[] = [];
  let end = -1;
  for (let hops = 0; hops < 20; hops++) {
    const l = m[i];
    if (l === 0) { if (end < 0) end = i + 1; break; }
    if ((l & 0xc0) === 0xc0) { if (end < 0) end = i + 2; i = ((l & 0x3f) << 8) | m[i + 1]; continue; }
    labels.push(String.fromCharCode(...m.subarray(i + 1, i + 1 + l)));
    i += l + 1;
  }
  return { name: labels.join('.'), end };
}

export { BCAST, put16 };
