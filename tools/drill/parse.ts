/**
 * Parser for the packetdrill script dialect (Cardwell et al., "packetdrill: Scriptable Network Stack
 * Testing", USENIX ATC 2013): a script is a list of options (`--tolerance_usecs=N`) followed by
 * events, each "time action", where the action is an inbound (`<`) or outbound (`>`) TCP segment, a
 * system call with its expected result, a shell command in backquotes, or our `tcp_state(fd) == NAME`
 * extension. Like packetdrill's own flex/bison front end the grammar is token based: newlines are
 * whitespace, `//` and C comments are ignored, and an event's line is the line of its time.
 *
 * Everything this runner cannot honour is a DrillParseError naming the line, never skipped.
 * This is host/test tooling: it allocates freely.
 */
import { F_FIN, F_SYN, F_RST, F_PSH, F_ACK, F_URG, F_ECE, F_CWR, optionsBytes, type TcpOptionSpec } from '../rawpeer.js';

/** Times are kept in microseconds, as packetdrill does. */
export type TimeKind = 'abs' | 'rel' | 'any' | 'absRange' | 'relRange';

export interface EventTime {
  kind: TimeKind;
  /** Start (or the only) time, µs; relative kinds count from the previous event. */
  start: number;
  /** End of a range, µs (ranges only; relative ranges count from the previous event too). */
  end: number;
}

export interface ScriptOption {
  name: string;
  value: string | null;
  line: number;
}

export type Expr =
  | { t: 'int'; v: number; text: string }
  | { t: 'ellipsis' }
  | { t: 'word'; v: string }
  | { t: 'string'; v: string }
  | { t: 'array'; items: Expr[] }
  | { t: 'struct'; fields: { name: string | null; value: Expr }[] }
  | { t: 'call'; fn: string; args: Expr[] }
  | { t: 'or'; left: Expr; right: Expr };

interface EventBase {
  line: number;
  time: EventTime;
  /** Source text of the event (for messages). */
  text: string;
}

export interface PacketEvent extends EventBase {
  type: 'packet';
  /** '<' injected into the stack, '>' expected from it. */
  dir: '<' | '>';
  /** TCP flag bits; ACK is set by a '.' in the flags. */
  flags: number;
  /** Start and end of the sequence range as written, and the payload length. */
  seq: number;
  end: number;
  len: number;
  /** `ack N` (null when absent: 0). Without the ACK flag the field is taken as written (absolute). */
  ack: number | null;
  /** `win N`, null when not written (outbound: not checked; inbound: a default is used). */
  win: number | null;
  /** `urg N`, 0 when absent. */
  urg: number;
  /** TCP options in order; null for `<...>` (any options, outbound only). An empty list means none. */
  options: TcpOptionSpec[] | null;
}

export interface SyscallEvent extends EventBase {
  type: 'syscall';
  name: string;
  args: Expr[];
  /** Expected return value. */
  ret: Expr;
  /** Expected errno symbol, e.g. 'EINPROGRESS', or null. */
  errno: string | null;
  /** The parenthesised note after the result, e.g. 'Operation now in progress'. */
  note: string | null;
  /** For a blocking call written `start...end name(...)`: its expected return time, µs (relative
   *  when the start time is relative, as in packetdrill), else null. */
  endTime: number | null;
}

/** Our extension: `tcp_state(fd) == NAME` asserts the RFC 9293 state of fd's connection;
 *  `tcp_state(...)` that of the connection under test (one with no descriptor yet, in SYN_RCVD). */
export interface StateEvent extends EventBase {
  type: 'state';
  /** -1 for `...`. */
  fd: number;
  state: string;
}

/** A shell command in backquotes (only a few harmless ones are understood by the runner). */
export interface CommandEvent extends EventBase {
  type: 'command';
  command: string;
}

export type DrillEvent = PacketEvent | SyscallEvent | StateEvent | CommandEvent;

export interface Script {
  path: string;
  options: ScriptOption[];
  /** A backquoted command before the first event (packetdrill's init command), or null. */
  initCommand: { command: string; line: number } | null;
  events: DrillEvent[];
}

export const TCP_STATE_NAMES: readonly string[] = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

export class DrillParseError extends Error {
  readonly path: string;
  readonly line: number;
  readonly reason: string;
  constructor(path: string, line: number, reason: string) {
    super(path + ':' + line + ': ' + reason);
    this.name = 'DrillParseError';
    this.path = path;
    this.line = line;
    this.reason = reason;
  }
}

// ------------------------------------------------------------------------------------------------
// Lexer
// ------------------------------------------------------------------------------------------------

type TokType = 'int' | 'float' | 'hex' | 'word' | 'string' | 'backquote' | 'code' | 'option'
  | 'ellipsis' | 'ipv4' | 'punct' | 'eof';

interface Token {
  type: TokType;
  /** Punctuation character(s), word, option name, string contents... */
  v: string;
  /** Numeric value for int/float/hex. */
  n: number;
  line: number;
  /** Source offsets [start, end). */
  start: number;
  end: number;
}

function isDigit(c: string): boolean { return c >= '0' && c <= '9'; }
function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
}

function lex(src: string, path: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const push = (type: TokType, v: string, num: number, start: number, startLine: number): void => {
    toks.push({ type, v, n: num, line: startLine, start, end: i });
  };
  while (i < n) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    const start = i;
    const startLine = line;
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const close = src.indexOf('*/', i + 2);
      if (close < 0) throw new DrillParseError(path, startLine, 'unterminated /* comment');
      for (let k = i; k < close; k++) if (src[k] === '\n') line++;
      i = close + 2;
      continue;
    }
    if (c === '%' && src[i + 1] === '{') {
      const close = src.indexOf('}%', i + 2);
      if (close < 0) throw new DrillParseError(path, startLine, 'unterminated %{ code }% snippet');
      for (let k = i; k < close; k++) if (src[k] === '\n') line++;
      i = close + 2;
      push('code', src.slice(start + 2, close).trim(), 0, start, startLine);
      continue;
    }
    if (c === '`') {
      let k = i + 1;
      while (k < n && src[k] !== '`') { if (src[k] === '\\') k++; k++; }
      if (k >= n) throw new DrillParseError(path, startLine, 'unterminated backquoted command');
      for (let m = i; m < k; m++) if (src[m] === '\n') line++;
      i = k + 1;
      push('backquote', src.slice(start + 1, k), 0, start, startLine);
      continue;
    }
    if (c === '"') {
      let k = i + 1;
      let s = '';
      while (k < n && src[k] !== '"') {
        if (src[k] === '\\' && k + 1 < n) { s += src[k + 1]; k += 2; continue; }
        if (src[k] === '\n') line++;
        s += src[k++];
      }
      if (k >= n) throw new DrillParseError(path, startLine, 'unterminated string');
      i = k + 1;
      push('string', s, 0, start, startLine);
      continue;
    }
    if (c === '-' && src[i + 1] === '-' && isWordChar(src[i + 2] ?? '')) {
      let k = i + 2;
      while (k < n && isWordChar(src[k])) k++;
      i = k;
      push('option', src.slice(start + 2, k), 0, start, startLine);
      continue;
    }
    if (c === '.' && src[i + 1] === '.' && src[i + 2] === '.') {
      i += 3;
      push('ellipsis', '...', 0, start, startLine);
      continue;
    }
    if (c === '=' && src[i + 1] === '=') {
      i += 2;
      push('punct', '==', 0, start, startLine);
      continue;
    }
    // numbers: [-]?digits, [-]?digits?.digits, 0xhex, a.b.c.d
    const neg = c === '-' && (isDigit(src[i + 1] ?? '') || (src[i + 1] === '.' && isDigit(src[i + 2] ?? '')));
    if (isDigit(c) || neg || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      let k = neg ? i + 1 : i;
      const ip = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(src.slice(k, k + 16));
      if (!neg && ip !== null) {
        i = k + ip[0].length;
        push('ipv4', ip[0], 0, start, startLine);
        continue;
      }
      if (!neg && src[k] === '0' && (src[k + 1] === 'x' || src[k + 1] === 'X')) {
        let m = k + 2;
        while (m < n && /[0-9a-fA-F]/.test(src[m])) m++;
        if (m === k + 2) throw new DrillParseError(path, startLine, 'bad hex number');
        i = m;
        push('hex', src.slice(start, m), parseInt(src.slice(k + 2, m), 16), start, startLine);
        continue;
      }
      while (k < n && isDigit(src[k])) k++;
      if (src[k] === '.' && isDigit(src[k + 1] ?? '')) {
        k++;
        while (k < n && isDigit(src[k])) k++;
        i = k;
        push('float', src.slice(start, k), parseFloat(src.slice(start, k)), start, startLine);
        continue;
      }
      i = k;
      push('int', src.slice(start, k), parseInt(src.slice(start, k), 10), start, startLine);
      continue;
    }
    if (isWordChar(c)) {
      let k = i;
      while (k < n && isWordChar(src[k])) k++;
      i = k;
      push('word', src.slice(start, k), 0, start, startLine);
      continue;
    }
    i++;
    push('punct', c, 0, start, startLine);
  }
  toks.push({ type: 'eof', v: '', n: 0, line, start: n, end: n });
  return toks;
}

// ------------------------------------------------------------------------------------------------
// Parser
// ------------------------------------------------------------------------------------------------

const U32_MAX = 0xffffffff;

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[], private readonly src: string, private readonly path: string) {}

  private peek(k = 0): Token { return this.toks[Math.min(this.pos + k, this.toks.length - 1)]; }
  private next(): Token { const t = this.toks[this.pos]; if (t.type !== 'eof') this.pos++; return t; }
  private isPunct(v: string, k = 0): boolean { const t = this.peek(k); return t.type === 'punct' && t.v === v; }
  private fail(tok: Token, reason: string): never { throw new DrillParseError(this.path, tok.line, reason); }
  private describe(t: Token): string {
    return t.type === 'eof' ? 'end of file' : "'" + this.src.slice(t.start, t.end) + "'";
  }
  private expectPunct(v: string, what: string): Token {
    const t = this.peek();
    if (t.type !== 'punct' || t.v !== v) this.fail(t, 'expected ' + what + ' but found ' + this.describe(t));
    return this.next();
  }
  private expectInt(what: string): Token {
    const t = this.peek();
    if (t.type !== 'int') this.fail(t, 'expected ' + what + ' (an integer) but found ' + this.describe(t));
    return this.next();
  }

  parse(): Script {
    const options: ScriptOption[] = [];
    while (this.peek().type === 'option') options.push(this.parseOption());
    let initCommand: Script['initCommand'] = null;
    if (this.peek().type === 'backquote') {
      const t = this.next();
      initCommand = { command: t.v, line: t.line };
    }
    const events: DrillEvent[] = [];
    while (this.peek().type !== 'eof') {
      const t = this.peek();
      if (t.type === 'option') this.fail(t, 'option --' + t.v + ' must come before the first event');
      events.push(this.parseEvent());
    }
    return { path: this.path, options, initCommand, events };
  }

  private parseOption(): ScriptOption {
    const t = this.next();
    let value: string | null = null;
    if (this.isPunct('=')) {
      this.next();
      const v = this.next();
      if (v.type === 'eof' || v.type === 'punct') this.fail(v, 'missing value for option --' + t.v);
      value = v.type === 'string' ? v.v : this.src.slice(v.start, v.end);
      // --define=NAME=VALUE style values
      if (this.isPunct('=') && this.peek().line === v.line && this.peek().start === v.end) {
        this.next();
        const w = this.next();
        value += '=' + (w.type === 'string' ? w.v : this.src.slice(w.start, w.end));
      }
    }
    return { name: t.v, value, line: t.line };
  }

  private parseTimeValue(): number {
    const t = this.peek();
    if (t.type !== 'int' && t.type !== 'float') this.fail(t, 'expected a time but found ' + this.describe(t));
    this.next();
    if (t.n < 0) this.fail(t, 'negative time');
    return Math.round(t.n * 1e6);
  }

  private parseEventTime(): { time: EventTime; line: number } {
    const t = this.peek();
    if (this.isPunct('*')) {
      this.next();
      return { time: { kind: 'any', start: 0, end: 0 }, line: t.line };
    }
    if (this.isPunct('+')) {
      this.next();
      const start = this.parseTimeValue();
      if (this.isPunct('~')) {
        this.next();
        this.expectPunct('+', "'+' (a relative range is written +a~+b)");
        const end = this.parseTimeValue();
        return { time: { kind: 'relRange', start, end }, line: t.line };
      }
      return { time: { kind: 'rel', start, end: start }, line: t.line };
    }
    if (t.type === 'int' || t.type === 'float') {
      const start = this.parseTimeValue();
      if (this.isPunct('~')) {
        this.next();
        if (this.isPunct('+')) this.fail(this.peek(), 'a range is either absolute (a~b) or relative (+a~+b)');
        const end = this.parseTimeValue();
        return { time: { kind: 'absRange', start, end }, line: t.line };
      }
      return { time: { kind: 'abs', start, end: start }, line: t.line };
    }
    if (t.type === 'word' || (t.type === 'punct' && (t.v === '<' || t.v === '>'))) {
      this.fail(t, 'event has no time (each line starts with a time: 0, +0.1, .5, *, 0.1~0.2)');
    }
    this.fail(t, 'unsupported line: expected an event time but found ' + this.describe(t));
  }

  private parseEvent(): DrillEvent {
    const first = this.peek();
    const { time, line } = this.parseEventTime();
    const t = this.peek();
    let ev: DrillEvent;
    if (t.type === 'punct' && (t.v === '<' || t.v === '>')) {
      ev = this.parsePacket(time, line);
    } else if (t.type === 'ellipsis') {
      this.next();
      const endTime = this.parseTimeValue();
      if (this.peek().type !== 'word') this.fail(this.peek(), 'expected a system call after ...end time');
      ev = this.parseSyscall(time, line, endTime);
    } else if (t.type === 'word' && t.v === 'tcp_state' && this.isPunct('(', 1)) {
      ev = this.parseState(time, line);
    } else if (t.type === 'word' && this.isPunct('(', 1)) {
      ev = this.parseSyscall(time, line, null);
    } else if (t.type === 'backquote') {
      this.next();
      ev = { type: 'command', line, time, text: '', command: t.v };
    } else if (t.type === 'code') {
      this.fail(t, 'unsupported: %{ python }% code snippets (TCP_INFO post-processing) are not available');
    } else {
      this.fail(t, 'unsupported event: ' + this.describe(t));
    }
    const last = this.toks[this.pos - 1];
    ev.text = this.src.slice(first.start, last.end).replace(/\s+/g, ' ');
    this.validate(ev);
    return ev;
  }

  private validate(ev: DrillEvent): void {
    const k = ev.time.kind;
    const outbound = ev.type === 'packet' && ev.dir === '>';
    if (k === 'any' && !outbound) {
      throw new DrillParseError(this.path, ev.line, 'event time * can only be used with outbound packets');
    }
    if ((k === 'absRange' || k === 'relRange') && !outbound) {
      throw new DrillParseError(this.path, ev.line, 'event time range can only be used with outbound packets');
    }
    if ((k === 'absRange' || k === 'relRange') && ev.time.end < ev.time.start) {
      throw new DrillParseError(this.path, ev.line, 'time range is backwards');
    }
  }

  // --- packets ---------------------------------------------------------------------------------

  private parsePacket(time: EventTime, line: number): PacketEvent {
    const dirTok = this.next();
    const dir = dirTok.v as '<' | '>';
    const t = this.peek();
    if (t.type === 'word' && (t.v === 'udp' || t.v === 'icmp' || t.v === 'ipv4' || t.v === 'ipv6'
      || t.v === 'gre' || t.v === 'mpls' || t.v === 'GREv0')) {
      this.fail(t, 'unsupported packet type: ' + t.v + ' (only TCP segments are supported)');
    }
    if (this.isPunct('(') || this.isPunct('[')) this.fail(t, 'unsupported: IP tos/ecn/ttl/flowlabel information');
    if (t.type === 'int' && this.isPunct('>', 1)) this.fail(t, 'unsupported: explicit port numbers in a packet');
    const flags = this.parseFlags();
    const seqTok = this.expectInt('a sequence number start:end(len)');
    this.expectPunct(':', "':' in start:end(len)");
    const endTok = this.expectInt('the end of start:end(len)');
    this.expectPunct('(', "'(' in start:end(len)");
    const lenTok = this.expectInt('the payload length in start:end(len)');
    this.expectPunct(')', "')' in start:end(len)");
    if (seqTok.n < 0 || seqTok.n > U32_MAX) this.fail(seqTok, 'TCP start sequence number out of range');
    if (endTok.n < 0 || endTok.n > U32_MAX) this.fail(endTok, 'TCP end sequence number out of range');
    if (lenTok.n < 0 || lenTok.n > 0xffff) this.fail(lenTok, 'TCP payload size out of range');
    if (endTok.n !== seqTok.n + lenTok.n) this.fail(seqTok, 'inconsistent TCP sequence numbers and payload size');
    let ack: number | null = null;
    let win: number | null = null;
    let urg = 0;
    if (this.peek().type === 'word' && this.peek().v === 'ack') {
      this.next();
      const a = this.expectInt('the ack number');
      if (a.n < 0 || a.n > U32_MAX) this.fail(a, 'TCP ack sequence number out of range');
      ack = a.n;
    }
    if (this.peek().type === 'word' && this.peek().v === 'win') {
      this.next();
      const w = this.expectInt('the window');
      if (w.n < 0 || w.n > 0xffff) this.fail(w, 'TCP window value out of range');
      win = w.n;
    }
    if (this.peek().type === 'word' && this.peek().v === 'urg') {
      this.next();
      const u = this.expectInt('the urgent pointer');
      if (u.n < 0 || u.n > 0xffff) this.fail(u, 'TCP urg_ptr value out of range');
      urg = u.n;
    }
    let options: TcpOptionSpec[] | null = [];
    if (this.isPunct('<')) {
      const lt = this.next();
      if (this.peek().type === 'ellipsis') {
        this.next();
        this.expectPunct('>', "'>' after <...");
        if (dir === '<') this.fail(lt, '<...> for TCP options can only be used with outbound packets');
        options = null;
      } else {
        options = this.parseTcpOptions();
      }
    }
    const nt = this.peek();
    if (nt.type === 'word') this.fail(nt, 'unsupported packet field (or misplaced: the order is ack, win, urg, <options>): ' + this.describe(nt));
    // packetdrill's own checks (tcp_packet.c)
    if (win === null && dir === '<') this.fail(dirTok, 'window must be specified for inbound packets');
    if (options !== null && optionsBytes(options) % 4 !== 0) {
      this.fail(dirTok, 'TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: '
        + (optionsBytes(options) % 4) + ' excess bytes (add nop)');
    }
    if (options !== null && optionsBytes(options) > 40) this.fail(dirTok, 'TCP header too large');
    return {
      type: 'packet', line, time, text: '', dir, flags, seq: seqTok.n, end: endTok.n, len: lenTok.n,
      ack, win, urg, options,
    };
  }

  private parseFlags(): number {
    const t = this.peek();
    let letters = '';
    if (t.type === 'word') {
      this.next();
      letters = t.v;
      if (this.isPunct('.')) { this.next(); letters += '.'; }
    } else if (this.isPunct('.')) {
      this.next();
      letters = '.';
    } else if (this.isPunct('-')) {
      this.next();
      return 0;
    } else {
      this.fail(t, 'expected TCP flags (S, S., ., P., F., R, R., ...) but found ' + this.describe(t));
    }
    let flags = 0;
    for (const ch of letters) {
      let bit = 0;
      switch (ch) {
        case 'F': bit = F_FIN; break;
        case 'S': bit = F_SYN; break;
        case 'R': bit = F_RST; break;
        case 'P': bit = F_PSH; break;
        case '.': bit = F_ACK; break;
        case 'U': bit = F_URG; break;
        case 'E': bit = F_ECE; break;
        case 'W': bit = F_CWR; break;
        case 'A': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
          this.fail(t, "unsupported TCP flag '" + ch + "' (AccECN)");
        default: this.fail(t, "unknown TCP flag '" + ch + "' in '" + letters + "'");
      }
      if ((flags & bit) !== 0) this.fail(t, "duplicate TCP flag '" + ch + "'");
      flags |= bit;
    }
    return flags;
  }

  private parseTcpOptions(): TcpOptionSpec[] {
    const out: TcpOptionSpec[] = [];
    for (;;) {
      const t = this.next();
      if (t.type !== 'word') this.fail(t, 'expected a TCP option but found ' + this.describe(t));
      switch (t.v) {
        case 'nop': out.push({ kind: 'nop' }); break;
        case 'eol': out.push({ kind: 'eol' }); break;
        case 'sackOK': out.push({ kind: 'sackOK' }); break;
        case 'mss': {
          const v = this.expectInt('the MSS value');
          if (v.n < 0 || v.n > 0xffff) this.fail(v, 'mss value out of range');
          out.push({ kind: 'mss', value: v.n });
          break;
        }
        case 'wscale': {
          const v = this.expectInt('the window scale');
          if (v.n < 0 || v.n > 255) this.fail(v, 'wscale value out of range');
          out.push({ kind: 'wscale', value: v.n });
          break;
        }
        case 'TS': {
          const a = this.next();
          if (a.type !== 'word' || a.v !== 'val') this.fail(a, "expected 'val' after TS");
          const val = this.expectInt('the TS value');
          const b = this.next();
          if (b.type !== 'word' || b.v !== 'ecr') this.fail(b, "expected 'ecr' in TS val N ecr N");
          const ecr = this.expectInt('the TS echo reply');
          out.push({ kind: 'TS', val: val.n >>> 0, ecr: ecr.n >>> 0 });
          break;
        }
        case 'sack': {
          const blocks: [number, number][] = [];
          while (this.peek().type === 'int') {
            const l = this.next();
            this.expectPunct(':', "':' in a SACK block left:right");
            const r = this.expectInt('the right edge of a SACK block');
            blocks.push([l.n >>> 0, r.n >>> 0]);
          }
          if (blocks.length === 0) this.fail(t, 'sack needs at least one block left:right');
          if (blocks.length > 4) this.fail(t, 'at most 4 SACK blocks fit in a TCP header');
          out.push({ kind: 'sack', blocks });
          break;
        }
        default:
          this.fail(t, 'unsupported TCP option: ' + t.v);
      }
      if (this.isPunct(',')) { this.next(); continue; }
      this.expectPunct('>', "',' or '>' in the option list");
      return out;
    }
  }

  // --- system calls ------------------------------------------------------------------------------

  private parseSyscall(time: EventTime, line: number, endTime: number | null): SyscallEvent {
    const name = this.next();
    this.expectPunct('(', "'(' after " + name.v);
    const args: Expr[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        args.push(this.parseExpr());
        if (this.isPunct(',')) { this.next(); continue; }
        break;
      }
    }
    this.expectPunct(')', "')' closing the arguments of " + name.v);
    if (this.isPunct('==')) this.fail(this.peek(), "system calls are written 'name(...) = result'");
    this.expectPunct('=', "'= result' after " + name.v + '(...)');
    const ret = this.parseExpr();
    let errno: string | null = null;
    let note: string | null = null;
    const e = this.peek();
    if (e.type === 'word' && /^E[A-Z0-9]+$/.test(e.v)) { this.next(); errno = e.v; }
    if (this.isPunct('(')) {
      const open = this.next();
      let depth = 1;
      let last = open;
      while (depth > 0) {
        const t = this.next();
        if (t.type === 'eof') this.fail(open, "unterminated '(' note");
        if (t.type === 'punct' && t.v === '(') depth++;
        if (t.type === 'punct' && t.v === ')') depth--;
        last = t;
      }
      note = this.src.slice(open.end, last.start).trim();
    }
    return { type: 'syscall', line, time, text: '', name: name.v, args, ret, errno, note, endTime };
  }

  private parseState(time: EventTime, line: number): StateEvent {
    this.next();
    this.expectPunct('(', "'(' after tcp_state");
    let fd = -1;
    if (this.peek().type === 'ellipsis') this.next();
    else fd = this.expectInt('a file descriptor (or ... for the connection under test)').n;
    this.expectPunct(')', "')' after tcp_state(fd");
    const eq = this.peek();
    if (!this.isPunct('==')) this.fail(eq, "expected '== STATE' after tcp_state(fd)");
    this.next();
    const st = this.next();
    if (st.type !== 'word' || !TCP_STATE_NAMES.includes(st.v)) {
      this.fail(st, 'expected a TCP state name (' + TCP_STATE_NAMES.join(', ') + ') but found ' + this.describe(st));
    }
    return { type: 'state', line, time, text: '', fd, state: st.v };
  }

  private parseExpr(): Expr {
    let left = this.parsePrimary();
    while (this.isPunct('|')) {
      this.next();
      const right = this.parsePrimary();
      left = { t: 'or', left, right };
    }
    return left;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'int':
      case 'hex':
        this.next();
        return { t: 'int', v: t.n, text: t.v };
      case 'ellipsis':
        this.next();
        return { t: 'ellipsis' };
      case 'string':
        this.next();
        return { t: 'string', v: t.v };
      case 'word': {
        this.next();
        if (this.isPunct('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isPunct(')')) {
            for (;;) {
              args.push(this.parseExpr());
              if (this.isPunct(',')) { this.next(); continue; }
              break;
            }
          }
          this.expectPunct(')', "')' closing " + t.v + '(');
          return { t: 'call', fn: t.v, args };
        }
        return { t: 'word', v: t.v };
      }
      case 'punct':
        if (t.v === '[') {
          this.next();
          const items: Expr[] = [];
          if (!this.isPunct(']')) {
            for (;;) {
              items.push(this.parseExpr());
              if (this.isPunct(',')) { this.next(); continue; }
              break;
            }
          }
          this.expectPunct(']', "']' closing an array");
          return { t: 'array', items };
        }
        if (t.v === '{') {
          this.next();
          const fields: { name: string | null; value: Expr }[] = [];
          if (!this.isPunct('}')) {
            for (;;) {
              const f = this.parseExpr();
              if (this.isPunct('=')) {
                this.next();
                const name = f.t === 'word' ? f.v : f.t === 'call' ? f.fn : null;
                if (name === null) this.fail(this.peek(), 'bad field name in a {...} structure');
                fields.push({ name, value: this.parseExpr() });
              } else {
                fields.push({ name: null, value: f });
              }
              if (this.isPunct(',')) { this.next(); continue; }
              break;
            }
          }
          this.expectPunct('}', "'}' closing a structure");
          return { t: 'struct', fields };
        }
        break;
      default:
        break;
    }
    this.fail(t, 'expected an expression but found ' + this.describe(t));
  }
}

/** Parses a script; throws DrillParseError ("path:line: reason") on anything unsupported. */
export function parseScript(text: string, path = 'script'): Script {
  const toks = lex(text, path);
  const script = new Parser(toks, text, path).parse();
  if (script.events.length === 0) throw new DrillParseError(path, 1, 'script has no events');
  // packetdrill's run-time checks that are really about the script: the first event is at time 0,
  // and absolute times never go backwards.
  const first = script.events[0];
  if ((first.time.kind === 'abs' || first.time.kind === 'rel') && first.time.start !== 0) {
    throw new DrillParseError(path, first.line, 'first event should be at time 0');
  }
  let lastAbs = -1;
  let prev: DrillEvent | null = null;
  for (const ev of script.events) {
    if (ev.time.kind === 'abs' || ev.time.kind === 'absRange') {
      if (prev !== null && (prev.time.kind === 'abs' || prev.time.kind === 'absRange') && ev.time.start < lastAbs) {
        throw new DrillParseError(path, ev.line, 'time goes backward in script from ' + formatSecs(lastAbs)
          + ' to ' + formatSecs(ev.time.start));
      }
      lastAbs = ev.time.start;
    }
    prev = ev;
  }
  return script;
}

/** µs as packetdrill prints seconds: 1.500000. */
export function formatSecs(us: number): string {
  return (us / 1e6).toFixed(6);
}

/** The time column as written (for messages). */
export function formatTime(t: EventTime): string {
  const s = (us: number) => String(us / 1e6);
  switch (t.kind) {
    case 'abs': return s(t.start);
    case 'rel': return '+' + s(t.start);
    case 'any': return '*';
    case 'absRange': return s(t.start) + '~' + s(t.end);
    case 'relRange': return '+' + s(t.start) + '~+' + s(t.end);
  }
}

/** Flags in packetdrill notation: 'S.', 'F.', 'P.', '.', 'R'. */
export function formatFlags(flags: number): string {
  let s = '';
  if (flags & F_FIN) s += 'F';
  if (flags & F_SYN) s += 'S';
  if (flags & F_RST) s += 'R';
  if (flags & F_PSH) s += 'P';
  if (flags & F_URG) s += 'U';
  if (flags & F_ECE) s += 'E';
  if (flags & F_CWR) s += 'W';
  if (flags & F_ACK) s += '.';
  return s === '' ? '-' : s;
}

export function formatOptions(opts: TcpOptionSpec[] | null): string {
  if (opts === null) return '<...>';
  if (opts.length === 0) return '';
  const parts = opts.map((o) => {
    switch (o.kind) {
      case 'nop': return 'nop';
      case 'eol': return 'eol';
      case 'sackOK': return 'sackOK';
      case 'mss': return 'mss ' + o.value;
      case 'wscale': return 'wscale ' + o.value;
      case 'TS': return 'TS val ' + o.val + ' ecr ' + o.ecr;
      case 'sack': return 'sack ' + o.blocks.map((b) => b[0] + ':' + b[1]).join(' ');
    }
  });
  return '<' + parts.join(',') + '>';
}

/** A segment in packetdrill notation, without the time column: `S. 0:0(0) ack 1 win 8192 <mss 1460>`. */
export function formatSegment(dir: '<' | '>', flags: number, seq: number, len: number, ack: number | null,
  win: number | null, urg: number, options: TcpOptionSpec[] | null): string {
  let s = dir + ' ' + formatFlags(flags) + ' ' + seq + ':' + ((seq + len) >>> 0) + '(' + len + ')';
  if (ack !== null) s += ' ack ' + ack;
  if (win !== null) s += ' win ' + win;
  if (urg !== 0) s += ' urg ' + urg;
  const o = formatOptions(options);
  if (o !== '') s += ' ' + o;
  return s;
}
