/**
 * Small DOM helpers for the console: element building, forms with a message line, tables. Plain
 * DOM; text is always set as text (never HTML), so values from the node cannot inject markup.
 */

type Child = Node | string | null | undefined | false
type Attrs = Record<string, string | boolean | undefined>

/** Creates an element with attributes (`true` = present, false/undefined = absent) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    el.setAttribute(name, value === true ? '' : value)
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    el.append(child)
  }
  return el
}

/** A titled card. */
export function card(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { id }, h('h2', {}, title), ...children)
}

/** A labelled form row: label text and its control. */
export function row(label: string, control: HTMLElement): Node[] {
  const id = control.getAttribute('name') ?? label
  control.id ||= `f-${Math.random().toString(36).slice(2, 9)}-${id}`
  return [h('label', { for: control.id }, label), control]
}

/** A text input. */
export function input(name: string, attrs: Attrs = {}): HTMLInputElement {
  return h('input', { name, autocomplete: 'off', ...attrs })
}

/** A select with `[value, label]` options. */
export function select(
  name: string,
  options: readonly (readonly [string, string])[],
): HTMLSelectElement {
  return h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)))
}

/** Shows a message line of a kind under a form (replacing the last one). */
export function say(where: HTMLElement, kind: 'ok' | 'error' | 'info', text: string): void {
  let msg = where.querySelector<HTMLElement>(':scope > .msg')
  if (!msg) {
    msg = h('p', { class: 'msg', role: 'status' })
    where.append(msg)
  }
  msg.className = `msg ${kind}`
  msg.textContent = text
}

/** A table of rows of cells. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
): HTMLTableElement {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((c) => h('td', {}, c))))),
  )
}

/** Replaces the children of `el`. */
export function fill(el: HTMLElement, ...children: Child[]): void {
  el.replaceChildren()
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) el.append(child)
}

// The latest re-render of each page: only it may mark the page ready again.
const latestRender = new WeakMap<HTMLElement, number>()

/**
 * Re-renders a page in place: the page is marked not ready (`data-ready=false`) until the
 * asynchronous render has filled it, so nobody reads a half-replaced page as current. When a
 * second re-render starts before the first has finished, only the second marks the page ready.
 */
export function rerenderPage(root: HTMLElement, render: () => Promise<void>): void {
  const generation = (latestRender.get(root) ?? 0) + 1
  latestRender.set(root, generation)
  root.dataset['ready'] = 'false'
  void render().finally(() => {
    if (latestRender.get(root) === generation) root.dataset['ready'] = 'true'
  })
}

/** A form value by field name ('' when absent). */
export function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name)
  return typeof value === 'string' ? value.trim() : ''
}

/** Short form of a hex id. */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex
}
