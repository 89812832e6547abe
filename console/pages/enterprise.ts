/**
 * The enterprise page (SPEC §12, issue #10): issue points with a voucher (the document's digest goes
 * on chain, its detail encrypted to the platform operator), manage point types, bind members, see
 * redemptions at its mall, export the settlement report (CSV) and see its statistics.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  NAME_LENGTH_MAX,
  REF_LENGTH_MAX,
  SYMBOL_PATTERN,
  VOUCHER_DETAIL_BYTES_MAX,
} from '../../src/core/limits.ts'
import { sealVoucherDetail } from '../../src/crypto/voucher-box.ts'
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts'
import { err, ok, type Result } from '../../src/util/result.ts'
import type { CodedError } from '../api.ts'
import { latest } from '../lists.ts'
import type { Session } from '../session.ts'
import { card, field, fill, h, input, row, select, short, table } from '../ui.ts'
import { parseAddressInput, parseAmountInput, parseRefInput } from '../validate.ts'
import { fmt, keyPanel, listView, onSubmit, txForm, typeOptions } from './common.ts'
import { periodQuery, periodRows } from './period.ts'

interface BurnJson {
  readonly pointType: string
  readonly holder: string
  readonly amount: string
  readonly reason: string
  readonly orderRef: string | null
  readonly height: number
}

async function voucherOf(
  s: Session,
  form: HTMLFormElement,
): Promise<Result<{ digest: Uint8Array; detail: Uint8Array | null; name: string }, CodedError>> {
  const file = form.querySelector<HTMLInputElement>('input[name=voucherFile]')?.files?.[0]
  if (!file)
    return err({
      code: 'CONSOLE_VOUCHER_REQUIRED',
      message: 'attach the voucher document (contract or sales order)',
    })
  const bytes = new Uint8Array(await file.arrayBuffer())
  const digest = sha256(bytes)
  const summary = utf8(
    JSON.stringify({ file: file.name, bytes: bytes.length, sha256: toHex(digest) }),
  )
  const plain = bytes.length <= VOUCHER_DETAIL_BYTES_MAX - 128 ? bytes : summary
  const detail = s.operatorPublicKey ? sealVoucherDetail(plain, s.operatorPublicKey, digest) : null
  return ok({ digest, detail, name: file.name })
}

function issueCard(s: Session, refresh: () => void): HTMLElement {
  const me = s.key?.addressHex ?? ''
  const form = txForm(
    'issue',
    'Issue',
    ...[
      row(
        'Point type',
        select(
          'pointType',
          typeOptions(s, (t) => s.pointTypes.get(t)?.issuer === me),
        ),
      ),
      row('To address', input('to')),
      row('Amount', input('amount')),
      row(
        'Voucher kind',
        select('voucherKind', [
          ['marketing-contract', 'marketing contract'],
          ['sales-order', 'sales order'],
        ]),
      ),
      row('Voucher ref', input('voucherRef')),
      row('Voucher document', h('input', { type: 'file', name: 'voucherFile' })),
    ],
  )
  onSubmit(form, async () => {
    const symbol = field(form, 'pointType')
    const type = s.pointTypes.get(symbol)
    if (!type) return err({ code: 'CONSOLE_NO_POINT_TYPE', message: 'create a point type first' })
    const to = parseAddressInput(field(form, 'to'))
    if (!to.ok) return to
    const amount = parseAmountInput(field(form, 'amount'), symbol, type.decimals)
    if (!amount.ok) return amount
    const ref = parseRefInput(field(form, 'voucherRef'), 'voucher reference', REF_LENGTH_MAX)
    if (!ref.ok) return ref
    const voucher = await voucherOf(s, form)
    if (!voucher.ok) return voucher
    const known = await s.isKnownAddress(to.value)
    if (!known.ok) return known
    if (!known.value)
      return err({
        code: 'CONSOLE_UNKNOWN_ADDRESS',
        message: `no registered account or enterprise has address ${to.value}`,
      })
    const kind = field(form, 'voucherKind') === 'sales-order' ? 'sales-order' : 'marketing-contract'
    const done = await s.submit('points.issue', {
      pointType: symbol,
      to: fromHex(to.value),
      amount: amount.value,
      voucherKind: kind,
      voucherRef: ref.value,
      voucherDigest: voucher.value.digest,
      encryptedDetail: voucher.value.detail,
    })
    if (!done.ok) return done
    refresh()
    const sealed = voucher.value.detail ? ', detail encrypted to the operator' : ''
    return ok(
      `issued ${fmt(s, symbol, amount.value)} in block ${done.value.height}; voucher ${voucher.value.name} digest ${short(toHex(voucher.value.digest))}${sealed}`,
    )
  })
  return card('Issue points with a voucher', 'issue-card', form)
}

function pointTypesCard(s: Session, rerender: () => void): HTMLElement {
  const me = s.key?.addressHex ?? ''
  const mine = [...s.pointTypes.values()].filter((t) => t.issuer === me)
  const form = txForm(
    'create-type',
    'Create point type',
    ...[
      row('Symbol', input('symbol', { placeholder: 'e.g. SHOP' })),
      row('Name', input('name')),
      row('Decimals', input('decimals', { value: '2' })),
      row('Expiry (days, 0 = never)', input('expiryDays', { value: '365' })),
      row(
        'Transferable',
        select('transferable', [
          ['yes', 'yes'],
          ['no', 'no'],
        ]),
      ),
      row(
        'Convertible',
        select('convertible', [
          ['yes', 'yes'],
          ['no', 'no'],
        ]),
      ),
    ],
  )
  onSubmit(form, async () => {
    const symbol = field(form, 'symbol')
    if (!SYMBOL_PATTERN.test(symbol))
      return err({
        code: 'CONSOLE_SYMBOL_INVALID',
        message: 'a symbol is 1–16 of A–Z, 0–9, . _ -, starting with a letter or digit',
      })
    const name = field(form, 'name')
    if (name === '' || name.length > NAME_LENGTH_MAX)
      return err({
        code: 'CONSOLE_NAME_INVALID',
        message: `a name has 1–${NAME_LENGTH_MAX} characters`,
      })
    const decimals = Number(field(form, 'decimals'))
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18)
      return err({ code: 'CONSOLE_DECIMALS_INVALID', message: 'decimals are 0–18' })
    const days = field(form, 'expiryDays')
    if (!/^[0-9]{1,5}$/.test(days))
      return err({ code: 'CONSOLE_EXPIRY_INVALID', message: 'expiry is a whole number of days' })
    const done = await s.submit('pointType.create', {
      symbol,
      name,
      decimals,
      expirySeconds: BigInt(days) * 86_400n,
      transferable: field(form, 'transferable') === 'yes',
      convertible: field(form, 'convertible') === 'yes',
      maxSupply: null,
    })
    if (!done.ok) return done
    await s.refreshLists()
    rerender()
    return ok(`created ${symbol} in block ${done.value.height}`)
  })
  const rows = mine.map((t) => [
    t.symbol,
    t.name,
    String(t.decimals),
    t.expirySeconds === '0' ? 'never' : `${BigInt(t.expirySeconds) / 86_400n} days`,
    fmt(s, t.symbol, t.issued),
    fmt(s, t.symbol, t.burned),
  ])
  return card(
    'Point types (policy is immutable)',
    'types-card',
    rows.length > 0
      ? table(['Symbol', 'Name', 'Dec.', 'Expiry', 'Issued', 'Burned'], rows)
      : h('p', { class: 'muted' }, 'none yet'),
    form,
  )
}

function memberCard(s: Session): HTMLElement {
  const form = txForm(
    'bind',
    'Bind member',
    ...[row('Consumer address', input('consumer')), row('Member id', input('memberId'))],
  )
  onSubmit(form, async () => {
    const consumer = parseAddressInput(field(form, 'consumer'))
    if (!consumer.ok) return consumer
    const memberId = parseRefInput(field(form, 'memberId'), 'member id', REF_LENGTH_MAX)
    if (!memberId.ok) return memberId
    const done = await s.submit('member.bind', {
      consumer: fromHex(consumer.value),
      memberIdDigest: sha256(utf8(memberId.value)),
    })
    if (!done.ok) return done
    return ok(`bound (only the member id's digest is on chain) in block ${done.value.height}`)
  })
  return card('Bind an existing member', 'member-card', form)
}

async function renderRedemptions(s: Session, el: HTMLElement): Promise<void> {
  const got = await latest<BurnJson>(s.api, `/v1/burns?acceptor=${s.key?.addressHex ?? ''}`, 10)
  fill(
    el,
    listView(got, 'no redemptions yet', ['Block', 'Amount', 'Consumer', 'Order'], (b) => [
      String(b.height),
      fmt(s, b.pointType, b.amount),
      h('span', { class: 'mono' }, short(b.holder)),
      b.orderRef ?? '',
    ]),
  )
}

function settlementCard(s: Session): HTMLElement {
  const out = h('div', { id: 'settlement-out' })
  const form = txForm('settlement', 'Export settlement (CSV)', ...periodRows(7))
  onSubmit(form, async () => {
    const q = periodQuery(form)
    if (!q.ok) return q
    const csv = await s.api.text(`/v1/settlement.csv?${q.value}`, 'text/csv')
    if (!csv.ok) return csv
    const url = URL.createObjectURL(new Blob([csv.value], { type: 'text/csv' }))
    fill(
      out,
      h(
        'a',
        {
          href: url,
          download: `settlement-${q.value.replace(/[^0-9]+/g, '-')}.csv`,
          id: 'settlement-download',
        },
        'Download CSV',
      ),
      h('pre', { id: 'settlement-csv' }, csv.value),
    )
    return ok(`settlement report: ${csv.value.trim().split('\n').length - 1} lines`)
  })
  return card('Settlement export', 'settlement-card', form, out)
}

function statsCard(s: Session): HTMLElement {
  const out = h('div', { id: 'enterprise-stats' })
  const form = txForm('stats', 'Show statistics', ...periodRows(7))
  onSubmit(form, async () => {
    const q = periodQuery(form)
    if (!q.ok) return q
    const got = await s.api.get<{ totals: Record<string, string> }>(
      `/v1/stats/enterprises/${s.key?.addressHex ?? ''}?${q.value}`,
    )
    if (!got.ok) return got
    fill(
      out,
      table(
        ['Counter', 'Minor units of my point types'],
        Object.entries(got.value.totals).map(([k, v]) => [k, v]),
      ),
    )
    return ok('statistics loaded')
  })
  return card('Statistics', 'stats-card', form, out)
}

/** Renders the enterprise page into `root`. */
export function renderEnterprise(s: Session, root: HTMLElement): void {
  const rerender = (): void => {
    renderEnterprise(s, root)
  }
  const sections: HTMLElement[] = [keyPanel(s, 'an enterprise', rerender)]
  if (s.key) {
    const me = s.enterprises.find((e) => e.address === s.key?.addressHex)
    const redemptions = h('div', { id: 'redemptions' })
    const refresh = (): void => {
      void renderRedemptions(s, redemptions)
    }
    sections.push(
      card(
        'Enterprise',
        'enterprise-info',
        me
          ? h(
              'p',
              {},
              `${me.name} — issuer: ${me.isIssuer ? 'yes' : 'no'}, acceptor: ${me.isAcceptor ? 'yes' : 'no'}`,
            )
          : h(
              'p',
              { class: 'msg error' },
              'This key is not an admitted enterprise; the operator admits enterprises.',
            ),
      ),
      issueCard(s, refresh),
      pointTypesCard(s, rerender),
      memberCard(s),
      card('Redemptions at my mall', 'redemptions-card', redemptions),
      settlementCard(s),
      statsCard(s),
    )
    refresh()
  }
  fill(root, ...sections)
}
