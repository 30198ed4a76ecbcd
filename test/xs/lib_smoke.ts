/**
 * A self-contained program over the PUBLIC library only (the `XsTcp` global of build/xs-tcp.iife.js,
 * or the module namespace of src/index.ts on Node): two stacks joined by a tiny in-script wire, an
 * ARP exchange, pings, and — when the raw TCP API is exported — an echo over TCP. The XS test first
 * hardens the library (every exported function, class, prototype and reachable object frozen, as
 * Moddable's linker freezes preloaded modules), so code that patches its own module-level objects at
 * run time fails here.
 *
 * The function must not refer to anything outside itself: the XS test evaluates its source text.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function libSmoke(X: any): string {
  const out: string[] = [];
  const inflight: { to: number; bytes: Uint8Array }[] = [];
  const clock = { t: 0, now() { return this.t; } };
  class LoopDriver {
    index: number; mac: Uint8Array; mtu = 1500;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    sink: any = null;
    constructor(index: number) { this.index = index; this.mac = new Uint8Array([2, 0, 0, 0, 0, index + 1]); }
    isLinkUp() { return true; }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    attach(s: any) { this.sink = s; }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    transmit(frame: any, totLen: number) {
      const b = new Uint8Array(totLen);
      let o = 0;
      for (let f = frame; f !== null; f = f.next) { for (let i = 0; i < f.len; i++) b[o + i] = f.buf[f.off + i]; o += f.len; }
      inflight.push({ to: 1 - this.index, bytes: b });
      return true;
    }
  }
  const drivers = [new LoopDriver(0), new LoopDriver(1)];
  const stacks = [
    new X.Stack({ driver: drivers[0], clock, random: new X.SeededRandom(1) }, { ip: '10.1.0.1/24', name: 'a' }),
    new X.Stack({ driver: drivers[1], clock, random: new X.SeededRandom(2) }, { ip: '10.1.0.2/24', name: 'b' }),
  ];
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock.t++;
      const batch = inflight.splice(0, inflight.length);
      for (const f of batch) drivers[f.to].sink.receiveFrame(f.bytes, 0, f.bytes.length);
      for (const s of stacks) s.tick(clock.t);
    }
  };
  let replies = 0;
  stacks[0].onEchoReply = (_src: number, _id: number, seq: number, len: number) => { replies++; out.push('reply ' + seq + ' ' + len); };
  for (let i = 1; i <= 3; i++) { stacks[0].ping('10.1.0.2', 7, i, 32 * i); run(5); }
  out.push('replies=' + replies);
  if (typeof X.tcp_new === 'function') {
    const ERR_OK = X.ERR_OK;
    let echoed = 0;
    let got = '';
    const l0 = X.tcp_new(stacks[1]);
    X.tcp_bind(l0, 0, 7);
    const l = X.tcp_listen(l0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    X.tcp_accept(l, (_a: unknown, pcb: any) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      X.tcp_recv(pcb, (_b: unknown, p2: any, p: any) => {
        if (p === null) { X.tcp_close(p2); return ERR_OK; }
        const n = p.totLen;
        const tmp = new Uint8Array(n);
        X.pbuf_copy_partial(p, tmp, n, 0);
        X.pbuf_free(p);
        X.tcp_write(p2, tmp, n, X.TCP_WRITE_FLAG_COPY);
        X.tcp_output(p2);
        X.tcp_recved(p2, n);
        echoed += n;
        return ERR_OK;
      });
      return ERR_OK;
    });
    const c = X.tcp_new(stacks[0]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    X.tcp_recv(c, (_a: unknown, pcb: any, p: any) => {
      if (p === null) return ERR_OK;
      for (let q = p; q !== null; q = q.next) for (let i = 0; i < q.len; i++) got += String.fromCharCode(q.buf[q.off + i]);
      X.tcp_recved(pcb, p.totLen);
      X.pbuf_free(p);
      return ERR_OK;
    });
    X.tcp_connect(c, '10.1.0.2', 7, () => {
      const msg = new Uint8Array([104, 101, 108, 108, 111]);
      X.tcp_write(c, msg, 5, X.TCP_WRITE_FLAG_COPY);
      X.tcp_output(c);
      return ERR_OK;
    });
    run(50);
    out.push('tcp state ' + X.tcp_state_name(c) + ' echoed=' + echoed + ' got=' + got);
    X.tcp_abort(c);
    run(50);
    X.tcp_close(l);
  }
  let used = 0;
  for (const s of stacks) for (const p of s.pools()) used += p.stats.used;
  out.push('pools used=' + used);
  return out.join('\n');
}
