// Injected before any page script (page.addInitScript) for the idle-cost
// measurement: counts timer callbacks that actually run, per kind, and the
// timers set. Clearing a timer is not counted as a wakeup.
(() => {
  const w = { timeout: 0, interval: 0, raf: 0, setTimeout: 0, setInterval: 0, requestAnimationFrame: 0 };
  globalThis.__wakeups = w;
  const st = globalThis.setTimeout;
  const si = globalThis.setInterval;
  const raf = globalThis.requestAnimationFrame;
  globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
    w.setTimeout += 1;
    if (typeof fn !== 'function') return st.call(this, fn, ms, ...args);
    return st.call(this, function counted(...a) { w.timeout += 1; return fn.apply(this, a); }, ms, ...args);
  };
  globalThis.setInterval = function setInterval(fn, ms, ...args) {
    w.setInterval += 1;
    if (typeof fn !== 'function') return si.call(this, fn, ms, ...args);
    return si.call(this, function counted(...a) { w.interval += 1; return fn.apply(this, a); }, ms, ...args);
  };
  if (raf) {
    globalThis.requestAnimationFrame = function requestAnimationFrame(fn) {
      w.requestAnimationFrame += 1;
      return raf.call(this, (t) => { w.raf += 1; return fn(t); });
    };
  }
})();
