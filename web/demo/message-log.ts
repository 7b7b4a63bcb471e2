/**
 * The page's message log. Every entry is built with `textContent`: message payloads and topics come
 * from other users and are never parsed as HTML.
 */

/** What an entry records: an incoming message, a sent one, a status line or an error. */
export type LogKind = 'received' | 'sent' | 'info' | 'error';

/** Appends entries to an `<ol>` (which carries `aria-live`), newest last, capped in length. */
export class MessageLog {
  readonly #list: HTMLOListElement;
  readonly #maxEntries: number;

  /**
   * @param list the `<ol>` to fill
   * @param maxEntries older entries are dropped beyond this
   */
  constructor(list: HTMLOListElement, maxEntries = 200) {
    this.#list = list;
    this.#maxEntries = maxEntries;
  }

  /**
   * Adds one entry.
   * @param kind the entry's kind (styles it, and tests select on it)
   * @param text the message text (shown as text, never as HTML)
   * @param topic the MQTT topic, when the entry is a message
   */
  add(kind: LogKind, text: string, topic?: string): void {
    const item = document.createElement('li');
    item.dataset['kind'] = kind;
    item.dataset['testid'] = 'log-entry';
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    const label = document.createElement('span');
    label.className = 'kind';
    label.textContent = kind;
    item.append(time, label);
    if (topic !== undefined) {
      const topicElement = document.createElement('code');
      topicElement.className = 'topic';
      topicElement.textContent = topic;
      item.append(topicElement);
    }
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    item.append(body);
    this.#list.append(item);
    while (this.#list.children.length > this.#maxEntries) this.#list.firstElementChild?.remove();
    item.scrollIntoView({ block: 'nearest' });
  }

  /** Removes every entry. */
  clear(): void {
    this.#list.replaceChildren();
  }
}
