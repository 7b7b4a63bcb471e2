/**
 * How the local stack writes a client-controlled value (client ID, topic, topic filter, request path,
 * session name) into a log line: as a JSON string. A client ID such as
 * `x\nMQTT CONNECT client=victim accepted` would otherwise start a line of its own that reads like
 * the gateway's; quoted, it stays inside its line and the reader can tell where it ends.
 */

// JSON.stringify leaves these as they are, yet terminals and log viewers may break lines on them
// (NEL U+0085, LINE/PARAGRAPH SEPARATOR) or hide them (DEL and the other C1 controls).
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/** The value as a JSON string literal, with DEL, C1 controls and U+2028/U+2029 escaped too. */
export function logValue(value: string): string {
  return JSON.stringify(value).replace(UNESCAPED_BY_JSON, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
