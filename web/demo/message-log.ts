/**
 * The page's message log. Every entry is built with `textContent`: message payloads and topics come
 * from other users and are never parsed as HTML. Each entry is a small grid (see the page's CSS):
 * time, kind, topic and text on one row on a wide screen; on a phone the topic and the text each get
 * a full-width row of their own, so a message never shrinks to a sliver beside a long topic.
 */

/** What an entry records: an incoming message, a sent one, a status line or an error. */
export type LogKind = 'received' | 'sent' | 'info' | 'error';

/** Longer texts are shown cut, with their full length (a 200 KB payload would fill the page). */
const MAX_SHOWN_CHARACTERS = 500;

/** `text`, or its start and how long it is in all. */
export function shownText(text: string): string {
  if (text.length <= MAX_SHOWN_CHARACTERS) return text;
  return `${text.slice(0, MAX_SHOWN_CHARACTERS)}… (${text.length} characters in all)`;
}

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
    // The layout gives the text the topic's column too when there is no topic.
    if (topic !== undefined) item.classList.add('with-topic');
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
    body.textContent = shownText(text);
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
