/**
 * Moddable's `timer` module on Node: Timer.set(callback, delay = 0, repeat?), Timer.repeat(callback,
 * interval), Timer.schedule(id, delay, repeat?), Timer.clear(id); callbacks get the timer id.
 */
type Cb = (id: TimerId) => void;

class TimerId {
  handle: ReturnType<typeof setTimeout> | null = null;
  constructor(readonly cb: Cb) {}
}

function arm(t: TimerId, delay: number, repeat: number | undefined): void {
  if (t.handle !== null) clearTimeout(t.handle);
  t.handle = setTimeout(() => {
    t.handle = null;
    if (repeat !== undefined && repeat > 0) arm(t, repeat, repeat);
    t.cb(t);
  }, delay);
}

export default class Timer {
  static set(cb: Cb, delay = 0, repeat?: number): TimerId {
    const t = new TimerId(cb);
    arm(t, delay, repeat);
    return t;
  }

  static repeat(cb: Cb, interval: number): TimerId {
    return Timer.set(cb, interval, interval);
  }

  static schedule(t: TimerId, delay: number, repeat?: number): void {
    if (t) arm(t, delay, repeat);
  }

  static clear(t: TimerId | undefined): void {
    if (t && t.handle !== null) { clearTimeout(t.handle); t.handle = null; }
  }
}
