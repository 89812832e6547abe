/**
 * The platform operator's page (SPEC §12, issue #10): exchange statistics over time (a bar chart per
 * day and totals per enterprise), per-enterprise records (burns by issuer), settlement inquiry for a
 * period, rates with their history (and setting them as the oracle), and administration (admit an
 * enterprise, vote a validator change).
 */
import { formatDecimal, parseDecimal } from '../../src/codec/json.ts'
import { NAME_LENGTH_MAX, RATE_DECIMALS, REF_LENGTH_MAX } from '../../src/core/limits.ts'
import { fromHex, isHex } from '../../src/util/bytes.ts'
import { err, ok } from '../../src/util/result.ts'
import { latest } from '../lists.ts'
import type { Page, Session } from '../session.ts'
import { card, field, fill, h, input, rerenderPage, row, select, short, table } from '../ui.ts'
import { parseAddressInput, parseRefInput } from '../validate.ts'
import { codedText, fmt, keyPanel, onSubmit, txForm, typeOptions } from './common.ts'
import { periodQuery, periodRows } from './period.ts'

/** Rate changes the history shows: the latest, newest first. */
const RATE_CHANGES_SHOWN = 100

const COUNTERS = ['issued', 'redeemed', 'converted', 'expired', 'exchanged'] as const
type Counters = Record<(typeof COUNTERS)[number], string>
interface StatsJson {
  readonly totals: Counters
  readonly days: (Counters & { day: number })[]
}
interface RateJson {
  readonly pointType: string
  readonly rate: string
  readonly sourceRef: string
  readonly height: number
}
interface BurnJson {
  readonly pointType: string
  readonly amount: string
  readonly reason: string
  readonly height: number
  readonly acceptor: string | null
}
interface SettlementJson {
  readonly burnCount: number
  readonly lines: {
    debtor: string
    creditor: string
    netValueUniversal: string
    burnIds: string[]
  }[]
}

const SVG = 'http://www.w3.org/2000/svg'

/** A bar chart of the per-day activity summed over enterprises (universal value). */
function chart(perDay: Map<number, bigint>): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('class', 'chart')
  svg.setAttribute('width', '560')
  svg.setAttribute('height', '140')
  const days = [...perDay.keys()].sort((a, b) => a - b)
  const max = days.reduce((m, d) => (perDay.get(d)! > m ? perDay.get(d)! : m), 1n)
  days.forEach((day, i) => {
    const value = perDay.get(day)!
    const height = Number((value * 100n) / max)
    const rect = document.createElementNS(SVG, 'rect')
    rect.setAttribute('x', String(10 + i * 76))
    rect.setAttribute('y', String(110 - height))
    rect.setAttribute('width', '60')
    rect.setAttribute('height', String(height))
    const label = document.createElementNS(SVG, 'text')
    label.setAttribute('x', String(10 + i * 76))
    label.setAttribute('y', '125')
    label.textContent = new Date(day * 86_400_000).toISOString().slice(5, 10)
    svg.append(rect, label)
  })
  return svg
}

function statsCard(s: Session): HTMLElement {
  const out = h('div', { id: 'platform-stats' })
  const form = txForm('platform-stats-form', 'Show exchange statistics', ...periodRows(7))
  onSubmit(form, async () => {
    const q = periodQuery(form)
    if (!q.ok) return q
    const rows: string[][] = []
    const perDay = new Map<number, bigint>()
    for (const e of s.enterprises) {
      const got = await s.api.get<StatsJson>(`/v1/stats/enterprises/${e.address}?${q.value}`)
      if (!got.ok) return got
      rows.push([e.name, ...COUNTERS.map((c) => got.value.totals[c])])
      for (const d of got.value.days) {
        const sum = COUNTERS.reduce((acc, c) => acc + BigInt(d[c]), 0n)
        perDay.set(d.day, (perDay.get(d.day) ?? 0n) + sum)
      }
    }
    fill(out, chart(perDay), table(['Enterprise', ...COUNTERS], rows))
    return ok(`statistics of ${rows.length} enterprises (minor units of their point types)`)
  })
  const section = card('Exchange statistics', 'stats-card', form, out)
  section.classList.add('wide')
  return section
}

function recordsCard(s: Session): HTMLElement {
  const out = h('div', { id: 'records-out' })
  const form = txForm(
    'records',
    'Show records',
    row(
      'Enterprise',
      select(
        'enterprise',
        s.enterprises.map((e) => [e.address, e.name]),
      ),
    ),
  )
  onSubmit(form, async () => {
    const got = await latest<BurnJson>(s.api, `/v1/burns?issuer=${field(form, 'enterprise')}`, 15)
    if (!got.ok) return got
    const items = got.value
    fill(
      out,
      table(
        ['Block', 'Burned', 'Reason', 'Acceptor'],
        items.map((b) => [
          String(b.height),
          fmt(s, b.pointType, b.amount),
          b.reason,
          b.acceptor ? short(b.acceptor) : '',
        ]),
      ),
    )
    return ok(`the latest ${items.length} burn records, newest first`)
  })
  return card('Per-enterprise records', 'records-card', form, out)
}

function settlementCard(s: Session): HTMLElement {
  const out = h('div', { id: 'inquiry-out' })
  const form = txForm('inquiry', 'Inquire', ...periodRows(7))
  const name = (a: string): string =>
    s.enterprises.find((e) => e.address === a)?.name ??
    (a === s.platformAccount ? 'platform' : short(a))
  onSubmit(form, async () => {
    const q = periodQuery(form)
    if (!q.ok) return q
    const got = await s.api.get<SettlementJson>(`/v1/settlement?${q.value}`)
    if (!got.ok) return got
    fill(
      out,
      table(
        ['Debtor', 'Creditor', 'Net (universal)', 'Burn records'],
        got.value.lines.map((l) => [
          name(l.debtor),
          name(l.creditor),
          fmt(s, s.universal, l.netValueUniversal),
          String(l.burnIds.length),
        ]),
      ),
    )
    return ok(`${got.value.lines.length} obligations from ${got.value.burnCount} burn records`)
  })
  return card('Settlement inquiry', 'inquiry-card', form, out)
}

async function ratesCard(s: Session): Promise<HTMLElement> {
  const got = await s.api.get<Page<RateJson>>('/v1/rates?limit=1000')
  const rateText = (r: string): string => formatDecimal(BigInt(r), RATE_DECIMALS)
  const current = got.ok
    ? table(
        ['Type', `Rate (${s.universal} per unit)`, 'Source', 'Block'],
        got.value.items.map((r) => [r.pointType, rateText(r.rate), r.sourceRef, String(r.height)]),
      )
    : h('p', { class: 'msg error' }, codedText(got.error))
  const history = h('div', { id: 'rate-history' })
  const types = typeOptions(s, (t) => t !== s.universal)
  const showHistory = h(
    'form',
    { class: 'tx', id: 'rate-history-form' },
    ...row('History of', select('pointType', types)),
    h('button', { type: 'submit' }, 'Show'),
  )
  onSubmit(showHistory, async () => {
    const r = await latest<RateJson>(
      s.api,
      `/v1/rates/${field(showHistory, 'pointType')}/history`,
      RATE_CHANGES_SHOWN,
    )
    if (!r.ok) return r
    fill(
      history,
      table(
        ['Block', 'Rate', 'Source'],
        r.value.map((x) => [String(x.height), rateText(x.rate), x.sourceRef]),
      ),
    )
    return ok(`the latest ${r.value.length} changes, newest first`)
  })
  const setForm = txForm(
    'set-rate',
    'Set rate (oracle)',
    ...[
      row('Point type', select('pointType', types)),
      row('Rate', input('rate')),
      row('Source ref', input('sourceRef')),
    ],
  )
  onSubmit(setForm, async () => {
    const rate = parseDecimal(field(setForm, 'rate'), RATE_DECIMALS)
    if (rate === null || rate === 0n)
      return err({
        code: 'CONSOLE_RATE_INVALID',
        message: `a rate is a positive number with at most ${RATE_DECIMALS} decimals`,
      })
    const ref = parseRefInput(field(setForm, 'sourceRef'), 'source reference', REF_LENGTH_MAX)
    if (!ref.ok) return ref
    const done = await s.submit('rate.set', {
      pointType: field(setForm, 'pointType'),
      rate,
      sourceRef: ref.value,
    })
    return done.ok ? ok(`rate recorded in block ${done.value.height}`) : done
  })
  return card('Rates and their history', 'rates-card', current, showHistory, history, setForm)
}

function adminCard(s: Session): HTMLElement {
  const admit = txForm(
    'admit',
    'Admit enterprise',
    ...[
      row('Address', input('enterprise')),
      row('Name', input('name')),
      row(
        'Roles',
        select('roles', [
          ['both', 'issuer and acceptor'],
          ['issuer', 'issuer'],
          ['acceptor', 'acceptor'],
        ]),
      ),
    ],
  )
  onSubmit(admit, async () => {
    const address = parseAddressInput(field(admit, 'enterprise'))
    if (!address.ok) return address
    const name = field(admit, 'name')
    if (name === '' || name.length > NAME_LENGTH_MAX)
      return err({
        code: 'CONSOLE_NAME_INVALID',
        message: `a name has 1–${NAME_LENGTH_MAX} characters`,
      })
    const roles = field(admit, 'roles')
    const a = fromHex(address.value)
    const done = await s.submit('enterprise.admit', {
      enterprise: a,
      name,
      isIssuer: roles !== 'acceptor',
      isAcceptor: roles !== 'issuer',
      settlementAccount: a,
    })
    if (!done.ok) return done
    await s.refreshLists()
    return ok(`admitted in block ${done.value.height}`)
  })
  const validator = txForm(
    'validator',
    'Vote validator change',
    ...[
      row(
        'Action',
        select('action', [
          ['add', 'add'],
          ['remove', 'remove'],
        ]),
      ),
      row('Validator public key', input('key')),
      row('Proposal number', input('proposal', { value: '1' })),
    ],
  )
  onSubmit(validator, async () => {
    const key = field(validator, 'key')
    if (key.length !== 66 || !isHex(key))
      return err({
        code: 'CONSOLE_KEY_INVALID',
        message: 'a validator key is 66 hex characters (compressed public key)',
      })
    const proposal = Number(field(validator, 'proposal'))
    if (!Number.isInteger(proposal) || proposal < 0)
      return err({ code: 'CONSOLE_PROPOSAL_INVALID', message: 'the proposal is a whole number' })
    const done = await s.submit('validator.update', {
      action: field(validator, 'action') === 'remove' ? 'remove' : 'add',
      validatorPublicKey: fromHex(key),
      proposal,
    })
    return done.ok
      ? ok(
          `vote recorded in block ${done.value.height}; the change takes effect when the operator quorum has voted`,
        )
      : done
  })
  return card('Administration', 'admin-card', admit, validator)
}

/** Renders the platform operator's page into `root`. */
export async function renderPlatform(s: Session, root: HTMLElement): Promise<void> {
  const rerender = (): void => {
    rerenderPage(root, () => renderPlatform(s, root))
  }
  const enterprises = table(
    ['Enterprise', 'Address', 'Issuer', 'Acceptor', 'Active'],
    s.enterprises.map((e) => [
      e.name,
      h('span', { class: 'mono' }, short(e.address)),
      e.isIssuer ? 'yes' : 'no',
      e.isAcceptor ? 'yes' : 'no',
      e.active ? 'yes' : 'no',
    ]),
  )
  const sections: HTMLElement[] = [
    card(
      'Consortium',
      'consortium',
      h('p', {}, `chain ${s.chainId}, height ${s.height}, universal points ${s.universal}`),
      enterprises,
    ),
    statsCard(s),
    recordsCard(s),
    settlementCard(s),
    await ratesCard(s),
    keyPanel(s, 'an operator (or oracle)', rerender),
  ]
  if (s.key) sections.push(adminCard(s))
  fill(root, ...sections)
}
