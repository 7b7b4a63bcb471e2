/**
 * The page's "Your grants" panel: the vended topics grouped by kind (private namespace, group rooms,
 * shared, read-only feeds; see `grants.ts`), each with a button to subscribe to it and, where
 * publishing is granted, one to put it in the publish form. Built with `textContent` only: topics
 * come from the API and group names from the token.
 */
import { GRANT_KINDS, type GrantKind, type GrantView } from './grants.js';

/** What the panel's buttons do. */
export interface GrantActions {
  /** Subscribe to this MQTT filter (the page's own subscribe action). */
  subscribe(filter: string): void;
  /** Put this topic in the publish form. */
  usePublishTopic(topic: string): void;
}

const TITLES: Readonly<Record<GrantKind, { readonly title: string; readonly who: string; readonly none: string }>> = {
  private: { title: 'Private namespace', who: 'Only you (your sub, or the principal ID derived from it).', none: 'None granted.' },
  group: { title: 'Group rooms', who: 'You and the other members of each of your groups.', none: 'None: you are in no group this stack grants rooms for.' },
  shared: { title: 'Shared', who: 'Every signed-in user publishes and receives here.', none: 'None granted.' },
  'read-only': { title: 'Read-only feeds', who: 'Every signed-in user receives; no user may publish (devices do).', none: 'None granted.' },
};

function accessText(grant: GrantView): string {
  if (grant.publish && grant.subscribe) return 'publish · subscribe';
  return grant.publish ? 'publish only' : 'subscribe only';
}

/** Renders the grants into a container and keeps the buttons' enabled state. */
export class GrantsPanel {
  readonly #container: HTMLElement;
  readonly #actions: GrantActions;
  #enabled = false;

  /**
   * @param container the element the panel fills (its children are replaced)
   * @param actions what the buttons do
   */
  constructor(container: HTMLElement, actions: GrantActions) {
    this.#container = container;
    this.#actions = actions;
    this.show(undefined);
  }

  /** Shows these grants, or, with `undefined`, that there are none to show until a URL is vended. */
  show(grants: readonly GrantView[] | undefined): void {
    if (grants === undefined) {
      const empty = document.createElement('p');
      empty.className = 'hint';
      empty.textContent = 'Connect to see what your URL grants.';
      this.#container.replaceChildren(empty);
      return;
    }
    this.#container.replaceChildren(...GRANT_KINDS.map((kind) => this.#kindBlock(kind, grants.filter((grant) => grant.kind === kind))));
    this.setEnabled(this.#enabled);
  }

  /** Enables the buttons while connected. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    for (const button of this.#container.querySelectorAll('button')) button.disabled = !enabled;
  }

  #kindBlock(kind: GrantKind, grants: readonly GrantView[]): HTMLElement {
    const block = document.createElement('div');
    block.className = 'grant-kind';
    block.dataset['kind'] = kind;
    const heading = document.createElement('h3');
    heading.textContent = TITLES[kind].title;
    const who = document.createElement('p');
    who.className = 'hint';
    who.textContent = grants.length === 0 ? TITLES[kind].none : TITLES[kind].who;
    block.append(heading, who);
    if (grants.length > 0) {
      const list = document.createElement('ul');
      list.append(...grants.map((grant) => this.#item(grant)));
      block.append(list);
    }
    return block;
  }

  #item(grant: GrantView): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset['testid'] = 'grant';
    item.dataset['kind'] = grant.kind;
    item.dataset['pattern'] = grant.pattern;
    const pattern = document.createElement('code');
    pattern.textContent = grant.pattern;
    const access = document.createElement('span');
    access.className = 'access';
    access.textContent = grant.group === undefined ? accessText(grant) : `${accessText(grant)} · group ${grant.group}`;
    const buttons = document.createElement('span');
    buttons.className = 'row';
    const { filter, sampleTopic } = grant;
    if (filter !== undefined) {
      buttons.append(this.#button('Subscribe', `Subscribe to ${filter}`, () => this.#actions.subscribe(filter)));
    }
    if (sampleTopic !== undefined) {
      buttons.append(this.#button('Use topic', `Use topic ${sampleTopic} for publishing`, () => this.#actions.usePublishTopic(sampleTopic)));
    }
    item.append(pattern, access, buttons);
    return item;
  }

  #button(text: string, label: string, action: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary small';
    button.textContent = text;
    // The visible text starts the accessible name, which says which topic (WCAG 2.5.3).
    button.setAttribute('aria-label', label);
    button.disabled = !this.#enabled;
    button.addEventListener('click', action);
    return button;
  }
}
