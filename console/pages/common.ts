/**
 * Pieces every console page uses: the key panel (create, import, unlock; keys stay in the
 * browser), form submission with coded messages, verified balances and amount formatting.
 */
import type { VerifiedBalances } from '../../src/client/balances.ts'
import { formatDecimal } from '../../src/codec/json.ts'
import { err, ok, type Result } from '../../src/util/result.ts'
import type { CodedError } from '../api.ts'
import { codedOfClient, type Session } from '../session.ts'
import { card, field, fill, h, input, row, say, select, short, table } from '../ui.ts'
import { createKey, importSecretKey, storedKeys, unlockKey } from '../wallet.ts'

/** Formats minor units of a point type known to the session. */
export function fmt(s: Session, symbol: string, amount: bigint | string): string {
  const decimals = s.pointTypes.get(symbol)?.decimals ?? 0
  return `${formatDecimal(BigInt(amount), decimals)} ${symbol}`
}

/** A coded error as one line. */
export function codedText(e: CodedError): string {
  return `${e.code}: ${e.message}`
}

/** A table of the listed items, a muted `empty` line, or the coded error of the read. */
export function listView<T>(
  got: Result<T[], CodedError>,
  empty: string,
  headers: string[],
  cells: (item: T) => (string | Node)[],
): HTMLElement {
  if (!got.ok) return h('p', { class: 'msg error' }, codedText(got.error))
  if (got.value.length === 0) return h('p', { class: 'muted' }, empty)
  return table(headers, got.value.map(cells))
}

/**
 * Wires `form` so that submitting runs `action` (which validates first and returns a coded error
 * before anything is sent) and shows its outcome under the form.
 */
export function onSubmit(
  form: HTMLFormElement,
  action: () => Promise<Result<string, CodedError>>,
): HTMLFormElement {
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    say(form, 'info', 'working…')
    void action().then(
      (result) => {
        if (result.ok) say(form, 'ok', result.value)
        else say(form, 'error', codedText(result.error))
      },
      (thrown: unknown) => {
        say(form, 'error', `CONSOLE_INTERNAL: ${String(thrown)}`)
      },
    )
  })
  return form
}

/** A tx form (class `tx`) with an id, rows and a submit button. */
export function txForm(id: string, button: string, ...rows: Node[][]): HTMLFormElement {
  return h(
    'form',
    { class: 'tx', id, novalidate: true },
    ...rows.flat(),
    h('button', { type: 'submit' }, button),
  )
}

/** The verified balances of the unlocked key. */
export async function myBalances(s: Session): Promise<Result<VerifiedBalances, CodedError>> {
  const key = s.requireKey()
  if (!key.ok) return key
  if (!s.light) return err({ code: 'CONSOLE_NODE_UNREACHABLE', message: 'not connected' })
  const got = await s.light.getVerifiedBalances(key.value.address)
  if (!got.ok) return err(codedOfClient(got.error))
  return ok(got.value)
}

/** The available (unexpired) verified balance of `symbol` of the unlocked key. */
export async function available(s: Session, symbol: string): Promise<Result<bigint, CodedError>> {
  const balances = await myBalances(s)
  if (!balances.ok) return balances
  return ok(balances.value.balances.find((b) => b.pointType === symbol)?.available ?? 0n)
}

/** Options of the point types known to the session, optionally filtered. */
export function typeOptions(
  s: Session,
  keep: (symbol: string) => boolean = () => true,
): [string, string][] {
  return [...s.pointTypes.values()]
    .filter((t) => keep(t.symbol))
    .map((t) => [t.symbol, `${t.symbol} — ${t.name}`])
}

function keyStatus(s: Session): HTMLElement {
  if (!s.key) return h('p', { id: 'active-key', class: 'muted' }, 'No key unlocked.')
  return h(
    'p',
    { id: 'active-key' },
    'Active key: ',
    h('strong', {}, s.keyLabel),
    ' ',
    h('span', { class: 'mono', id: 'active-address' }, s.key.addressHex),
  )
}

function unlockForm(s: Session, changed: () => void): HTMLFormElement {
  const stored = storedKeys().map((k): [string, string] => [
    k.keystore.address,
    `${k.label} (${short(k.keystore.address)})`,
  ])
  const form = txForm(
    'unlock-key',
    'Unlock',
    ...[
      row('Stored key', select('address', stored)),
      row('Password', input('password', { type: 'password' })),
    ],
  )
  return onSubmit(form, () => {
    const address = field(form, 'address')
    const opened = unlockKey(address, field(form, 'password'))
    if (!opened.ok) return Promise.resolve(opened)
    s.key = opened.value
    s.keyLabel = storedKeys().find((k) => k.keystore.address === address)?.label ?? ''
    changed()
    return Promise.resolve(ok(`unlocked ${address}`))
  })
}

function newKeyForm(s: Session, changed: () => void): HTMLFormElement {
  const form = txForm(
    'new-key',
    'Create or import',
    ...[
      row('Label', input('label')),
      row(
        'Secret key (hex)',
        input('secret', { placeholder: 'empty: create a new key', type: 'password' }),
      ),
      row('Password', input('password', { type: 'password' })),
    ],
  )
  return onSubmit(form, () => {
    const label = field(form, 'label')
    const secret = field(form, 'secret')
    const password = field(form, 'password')
    const made =
      secret === '' ? createKey(label, password) : importSecretKey(label, secret, password)
    if (!made.ok) return Promise.resolve(made)
    s.key = made.value
    s.keyLabel = label || made.value.addressHex.slice(0, 8)
    changed()
    return Promise.resolve(ok(`key ${made.value.addressHex} stored encrypted in this browser`))
  })
}

/** The key panel: the active key, unlock a stored key, create or import one. */
export function keyPanel(s: Session, role: string, changed: () => void): HTMLElement {
  const body = h('div', {})
  const render = (): void => {
    fill(
      body,
      keyStatus(s),
      h(
        'p',
        { class: 'muted' },
        `Keys are created and encrypted in this browser; the private key never leaves it. Use ${role} key on this page.`,
      ),
      h(
        'div',
        { class: 'catalogue' },
        newKeyForm(s, () => {
          render()
          changed()
        }),
        storedKeys().length > 0
          ? unlockForm(s, () => {
              render()
              changed()
            })
          : null,
      ),
    )
  }
  render()
  const panel = card('Key', 'key-panel', body)
  panel.classList.add('wide')
  return panel
}
