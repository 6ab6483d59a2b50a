/**
 * A few DOM helpers for the pages. Every value goes in as text (textContent, attributes set one by one), never
 * as markup: claim values, purposes and names come from other people and are untrusted input.
 */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | boolean>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) element.setAttribute(name, '');
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`page element #${id} is missing`);
  return element;
}

/** A form control by id (input, select, button), typed by the caller's expectation. */
export function control<
  T extends HTMLInputElement | HTMLSelectElement | HTMLButtonElement | HTMLVideoElement | HTMLImageElement,
>(id: string, type: new () => T): T {
  const element = byId(id);
  if (!(element instanceof type)) throw new Error(`page element #${id} is not a ${type.name}`);
  return element;
}

/** Replaces an element's children. */
export function fill(element: HTMLElement, ...children: Child[]): void {
  element.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Shows one of the page's `<section data-screen>` elements and hides the others. */
export function show(screen: string): void {
  for (const section of document.querySelectorAll<HTMLElement>('[data-screen]')) {
    section.hidden = section.dataset.screen !== screen;
  }
  const heading = document.querySelector<HTMLElement>(`[data-screen="${screen}"] h2`);
  heading?.focus();
}

/** A status line for people: role=status (polite) or role=alert for errors. */
export function say(element: HTMLElement, message: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  element.textContent = message;
  element.className = `message ${kind}`;
  element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
