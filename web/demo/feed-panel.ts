/**
 * The page's "Read-only feeds" panel: the latest message of each read-only topic (such as the
 * simulated device's `telemetry/sensor-1`), updated in place rather than appended to the chat log, so
 * a reading every few seconds does not drown the conversation. A payload shaped like a reading
 * (`{"device":…,"temperature":…,"at":…}`) is shown as one; anything else as its text. Built with
 * `textContent` only.
 */

const MAX_TEXT = 200;

interface Reading {
  readonly device: string | undefined;
  readonly temperature: number;
  readonly at: string | undefined;
}

function asReading(payload: string): Reading | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { device, temperature, at } = value as Record<string, unknown>;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature)) return undefined;
  return { device: typeof device === 'string' ? device : undefined, temperature, at: typeof at === 'string' ? at : undefined };
}

function describe(payload: string): string {
  const reading = asReading(payload);
  if (reading === undefined) return payload.length > MAX_TEXT ? `${payload.slice(0, MAX_TEXT)}…` : payload;
  const measured = reading.at === undefined || Number.isNaN(Date.parse(reading.at)) ? '' : ` at ${new Date(reading.at).toLocaleTimeString()}`;
  return `${reading.device ?? 'device'}: ${reading.temperature.toFixed(1)} °C${measured}`;
}

/** Keeps one entry per topic in a list. */
export class FeedPanel {
  readonly #list: HTMLUListElement;
  readonly #empty: HTMLElement;
  readonly #entries = new Map<string, { readonly value: HTMLElement; readonly count: HTMLElement; received: number }>();

  /**
   * @param list the `<ul>` holding one entry per topic
   * @param empty shown while nothing has arrived
   */
  constructor(list: HTMLUListElement, empty: HTMLElement) {
    this.#list = list;
    this.#empty = empty;
  }

  /** Removes every entry (the user signed out). */
  clear(): void {
    this.#entries.clear();
    this.#list.replaceChildren();
    this.#empty.hidden = false;
  }

  /** Shows a message as its topic's latest. */
  update(topic: string, payload: string): void {
    let entry = this.#entries.get(topic);
    if (entry === undefined) {
      const item = document.createElement('li');
      item.dataset['testid'] = 'feed-entry';
      item.dataset['topic'] = topic;
      const name = document.createElement('code');
      name.className = 'topic';
      name.textContent = topic;
      const value = document.createElement('span');
      value.className = 'value';
      const count = document.createElement('span');
      count.className = 'count';
      item.append(name, value, count);
      this.#list.append(item);
      entry = { value, count, received: 0 };
      this.#entries.set(topic, entry);
      this.#empty.hidden = true;
    }
    entry.received += 1;
    entry.value.textContent = describe(payload);
    entry.count.textContent = entry.received === 1 ? '1 message' : `${entry.received} messages`;
  }
}
