// Ratios of a variant's figures to a reference's: the paired ratio the main scenario measured
// (the median over rounds run side by side, see main-scenario.mjs) when there is one, else the
// ratio of the two figures (older stored runs, or a reference against itself).

const figure = { fanout: (r) => r.fanout?.usPerEvent, burst: (r) => r.burst?.usPerEvent, latency: (r) => r.latency?.p99 };

/**
 * `kind` (`fanout`, `burst` or `latency`: p99) of result `r` as a ratio to reference `refName`,
 * whose result is `ref`. NaN when either is missing.
 */
export function ratioTo(r, kind, refName, ref) {
  const paired = r?.[kind]?.vs?.[refName];
  if (Number.isFinite(paired)) return paired;
  const a = r ? figure[kind](r) : undefined;
  const b = ref ? figure[kind](ref) : undefined;
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN;
}
