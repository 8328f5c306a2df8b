/**
 * A small Prometheus registry: counters kept in process (each instance is scraped on its own,
 * as Prometheus expects), rendered in the text exposition format. Values that live in the
 * database (runs, rows, queue depth) are read at scrape time by routes/metrics.ts.
 */

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escape(labels[k])}"`).join(",")}}`;
}

export class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = formatLabels(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${formatLabels(labels)} ${value}`);
    }
    return lines.join("\n");
  }
}

/** A gauge family computed at scrape time. */
export function renderGauge(
  name: string,
  help: string,
  samples: { labels?: Labels; value: number }[],
  type: "gauge" | "counter" = "gauge",
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) lines.push(`${name}${formatLabels(s.labels ?? {})} ${s.value}`);
  return lines.join("\n");
}

/** The process's counters. */
export const metrics = {
  exchangeRequests: new Counter(
    "onec_exchange_requests_total",
    "1C exchange requests by type, mode and the first line of the answer.",
  ),
  exchangeSeconds: new Counter(
    "onec_exchange_request_seconds_total",
    "Time spent answering 1C exchange requests, by mode.",
  ),
  httpRequests: new Counter("http_requests_total", "HTTP requests by method and status class."),
};
