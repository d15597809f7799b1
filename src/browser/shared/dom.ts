/**
 * Small DOM helpers for the pages' scripts: make an element, find one by id or name with its
 * type checked (a page that lacks one fails loudly, not with `undefined` later).
 */
import { escapeHtml } from '../../report/format.js';

/** Text for HTML, with `&`, `<`, `>`, `"` and `'` escaped (the core's one renderer). */
export const esc = escapeHtml;

/** An element with a class and, optionally, inner HTML (callers escape what they put in). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  html?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

/** An element constructor, e.g. `HTMLInputElement`, to check what a lookup found. */
export type ElementType<T extends Element> = abstract new () => T;

function checked<T extends Element>(found: unknown, type: ElementType<T>, what: string): T {
  if (!(found instanceof type)) throw new Error(`dmpush: the page has no ${what} (${type.name})`);
  return found;
}

/** The element with this id, of this type (`HTMLElement` unless said). */
export function byId<T extends HTMLElement = HTMLElement>(
  id: string,
  type: ElementType<T> = HTMLElement as unknown as ElementType<T>,
): T {
  return checked(document.getElementById(id), type, `#${id}`);
}

/** The first element under `root` that matches `selector`, of this type. */
export function query<T extends Element>(
  root: ParentNode,
  selector: string,
  type: ElementType<T>,
): T {
  return checked(root.querySelector(selector), type, selector);
}

/** The form named `name` on the page. */
export function form(name: string): HTMLFormElement {
  return checked(document.forms.namedItem(name), HTMLFormElement, `form ${name}`);
}

/** The control named `name` in a form, of this type (an input unless said). */
export function field<T extends Element = HTMLInputElement>(
  f: HTMLFormElement,
  name: string,
  type: ElementType<T> = HTMLInputElement as unknown as ElementType<T>,
): T {
  return checked(f.elements.namedItem(name), type, `${f.name}.${name}`);
}

/** The element an event came from, as an `Element` (null for a text node or the window). */
export function targetOf(ev: Event): Element | null {
  return ev.target instanceof Element ? ev.target : null;
}
