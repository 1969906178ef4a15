import { readFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 100;

/** A field of /proc/<pid>/status in MiB, e.g. VmRSS (resident now) or VmHWM (peak resident since start). */
export function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/** Samples another process's resident set every 100 ms; `stop()` returns the largest sample. */
export function sampleRss(pid: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const sample = () => {
    const rss = procStatusMiB(pid, 'VmRSS');
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
