/**
 * The consumer page (SPEC §12, issue #10): register a key, membership binding, balances with expiry
 * (verified by state proofs), transfer, convert to/from universal points at the shown rate,
 * exchange through a market's call auction, redeem in the universal or an enterprise mall, and the
 * history where every record is checked by the light client against its certified block.
 */
import { formatDecimal, parseDecimal } from '../../src/codec/json.ts'
import { REF_LENGTH_MAX, RATE_DECIMALS } from '../../src/core/limits.ts'
import { fromHex } from '../../src/util/bytes.ts'
import { err, ok, type Result } from '../../src/util/result.ts'
import { convertAmount } from '../../src/vm/exec.ts'
import { buyEscrowFor } from '../../src/vm/market.ts'
import type { CodedError } from '../api.ts'
import { latest, ownOrders } from '../lists.ts'
import { codedOfClient, type Page, type Session } from '../session.ts'
import { card, field, fill, h, input, rerenderPage, row, say, select, short, table } from '../ui.ts'
import { checkBalance, parseAddressInput, parseAmountInput } from '../validate.ts'
import {
  available,
  codedText,
  fmt,
  keyPanel,
  listView,
  myBalances,
  onSubmit,
  txForm,
  typeOptions,
} from './common.ts'

interface MarketJson {
  readonly id: string
  readonly base: string
  readonly quote: string
  readonly priceDecimals: number
  readonly lotSize: string
  readonly referencePrice: string
  readonly lastPrice: string | null
}
interface OrderJson {
  readonly orderId: string
  readonly owner: string
  readonly side: string
  readonly price: string
  readonly quantity: string
  readonly filled: string
}
interface AuctionJson {
  readonly price: string | null
  readonly volume: string
  readonly height: number
}
interface HistoryJson {
  readonly txId: string
  readonly height: number
  readonly kind: string
}
interface RateJson {
  readonly pointType: string
  readonly rate: string
}

const date = (ms: bigint | null): string =>
  ms === null ? 'never' : new Date(Number(ms)).toISOString().slice(0, 16).replace('T', ' ')

async function renderBalances(s: Session, el: HTMLElement): Promise<void> {
  const address = s.key?.addressHex ?? ''
  const got = await myBalances(s)
  if (!got.ok) {
    fill(el, h('p', { class: 'msg error' }, codedText(got.error)))
    return
  }
  const rows = got.value.balances.map((b) => [
    b.pointType,
    fmt(s, b.pointType, b.amount),
    fmt(s, b.pointType, b.available),
    b.lots.map((l) => `${fmt(s, b.pointType, l.amount)} (expires ${date(l.expiresAt)})`).join('; '),
  ])
  fill(
    el,
    rows.length > 0
      ? table(['Type', 'Balance', 'Available', 'Lots and expiry'], rows)
      : h('p', { class: 'muted' }, 'No points yet.'),
    h(
      'p',
      { class: 'verified', id: 'balances-verified', 'data-address': address },
      `✓ verified by state proof at certified height ${got.value.height}`,
    ),
  )
}

function accountCard(s: Session, refresh: () => void): HTMLElement {
  const form = txForm('register', 'Register this key')
  onSubmit(form, async () => {
    const done = await s.submit('account.register', { profileDigest: null })
    if (!done.ok) return done
    refresh()
    return ok(`registered in block ${done.value.height}`)
  })
  return card(
    'Account',
    'account',
    form,
    h(
      'p',
      { class: 'muted' },
      'Membership: give your enterprise this address and your member id; it binds them on chain (member.bind), then moves your existing balance here.',
    ),
  )
}

function transferCard(s: Session, refresh: () => void): HTMLElement {
  const form = txForm(
    'transfer',
    'Transfer',
    ...[
      row(
        'Point type',
        select(
          'pointType',
          typeOptions(s, (t) => s.pointTypes.get(t)?.transferable === true),
        ),
      ),
      row('To address', input('to')),
      row('Amount', input('amount')),
    ],
  )
  return card(
    'Transfer',
    'transfer-card',
    onSubmit(form, async () => {
      const symbol = field(form, 'pointType')
      const type = s.pointTypes.get(symbol)
      if (!type) return err({ code: 'CONSOLE_NO_POINT_TYPE', message: 'choose a point type' })
      const to = parseAddressInput(field(form, 'to'))
      if (!to.ok) return to
      const amount = parseAmountInput(field(form, 'amount'), symbol, type.decimals)
      if (!amount.ok) return amount
      const have = await available(s, symbol)
      if (!have.ok) return have
      const enough = checkBalance(amount.value, have.value, symbol, type.decimals)
      if (!enough.ok) return enough
      const known = await s.isKnownAddress(to.value)
      if (!known.ok) return known
      if (!known.value)
        return err({
          code: 'CONSOLE_UNKNOWN_ADDRESS',
          message: `no registered account or enterprise has address ${to.value}`,
        })
      const done = await s.submit('points.transfer', {
        pointType: symbol,
        to: fromHex(to.value),
        amount: amount.value,
      })
      if (!done.ok) return done
      refresh()
      return ok(`sent ${fmt(s, symbol, amount.value)} in block ${done.value.height}`)
    }),
  )
}

async function ratesOf(s: Session): Promise<Map<string, bigint>> {
  const got = await s.api.get<Page<RateJson>>('/v1/rates?limit=1000')
  return new Map(got.ok ? got.value.items.map((r) => [r.pointType, BigInt(r.rate)]) : [])
}

function convertPreview(
  s: Session,
  rates: Map<string, bigint>,
  from: string,
  to: string,
  amount: bigint,
): Result<bigint, CodedError> {
  const uni = s.universal
  const toUni = to === uni && from !== uni
  const fromUni = from === uni && to !== uni
  if (!toUni && !fromUni)
    return err({
      code: 'CONSOLE_NOT_CONVERSION',
      message: `convert between ${uni} and an enterprise type, not ${from} → ${to}`,
    })
  const ent = toUni ? from : to
  const rate = rates.get(ent)
  if (rate === undefined) return err({ code: 'CONSOLE_NO_RATE', message: `no rate for ${ent}` })
  const entDecimals = s.pointTypes.get(ent)?.decimals ?? 0
  const uniDecimals = s.pointTypes.get(uni)?.decimals ?? 0
  return ok(
    convertAmount(amount, rate, entDecimals, uniDecimals, toUni ? 'toUniversal' : 'fromUniversal'),
  )
}

function convertCard(s: Session, rates: Map<string, bigint>, refresh: () => void): HTMLElement {
  const convertible = typeOptions(
    s,
    (t) => t === s.universal || s.pointTypes.get(t)?.convertible === true,
  )
  const form = txForm(
    'convert',
    'Convert',
    ...[
      row('From', select('fromType', convertible)),
      row('To', select('toType', [...convertible].reverse())),
      row('Amount', input('amount')),
    ],
  )
  const shown = [...rates].map(
    ([t, r]) => `1 ${t} = ${formatDecimal(r, RATE_DECIMALS).replace(/\.?0+$/, '')} ${s.universal}`,
  )
  return card(
    'Convert',
    'convert-card',
    h('p', { class: 'muted', id: 'rates-shown' }, `Rates: ${shown.join(', ') || 'none'}`),
    onSubmit(form, async () => {
      const from = field(form, 'fromType')
      const to = field(form, 'toType')
      const type = s.pointTypes.get(from)
      if (!type) return err({ code: 'CONSOLE_NO_POINT_TYPE', message: 'choose a point type' })
      const amount = parseAmountInput(field(form, 'amount'), from, type.decimals)
      if (!amount.ok) return amount
      const receive = convertPreview(s, rates, from, to, amount.value)
      if (!receive.ok) return receive
      const have = await available(s, from)
      if (!have.ok) return have
      const enough = checkBalance(amount.value, have.value, from, type.decimals)
      if (!enough.ok) return enough
      // minReceive: exactly the previewed amount, so a rate change in between makes the tx fail.
      const done = await s.submit('points.convert', {
        fromType: from,
        toType: to,
        amount: amount.value,
        minReceive: receive.value,
      })
      if (!done.ok) return done
      refresh()
      return ok(
        `converted ${fmt(s, from, amount.value)} to ${fmt(s, to, receive.value)} in block ${done.value.height}`,
      )
    }),
  )
}

/**
 * A price in ticks (quote minor units per base minor unit, times 10^priceDecimals) as whole quote
 * points per whole base point.
 */
function perWhole(s: Session, market: MarketJson, ticks: bigint): string {
  const baseDecimals = s.pointTypes.get(market.base)?.decimals ?? 0
  const quoteDecimals = s.pointTypes.get(market.quote)?.decimals ?? 0
  const text = formatDecimal(
    ticks * 10n ** BigInt(baseDecimals),
    market.priceDecimals + quoteDecimals,
  )
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text
}

async function marketDetails(
  s: Session,
  market: MarketJson,
  el: HTMLElement,
  refresh: () => void,
): Promise<void> {
  const id = encodeURIComponent(market.id)
  // Every page of the book (a consumer's orders may be anywhere in it) and the latest 5 results.
  const [mine, results] = await Promise.all([
    ownOrders<OrderJson>(s.api, market.id, s.key?.addressHex ?? ''),
    latest<AuctionJson>(s.api, `/v1/markets/${id}/auctions`, 5),
  ])
  const priceText = (p: string): string =>
    `${formatDecimal(BigInt(p), market.priceDecimals)} ${market.quote}/${market.base} ` +
    `(${perWhole(s, market, BigInt(p))} ${market.quote} per ${market.base})`
  const cancel = (o: OrderJson): HTMLElement => {
    const b = h('button', { type: 'button', class: 'secondary' }, 'Cancel')
    b.addEventListener('click', () => {
      void s.submit('order.cancel', { orderId: fromHex(o.orderId) }).then((r) => {
        say(
          el,
          r.ok ? 'ok' : 'error',
          r.ok ? `cancelled in block ${r.value.height}` : codedText(r.error),
        )
        if (r.ok) refresh()
      })
    })
    return b
  }
  fill(
    el,
    h('h3', {}, 'My open orders'),
    listView(mine, 'none', ['Side', 'Price', 'Quantity', 'Filled', ''], (o) => [
      o.side,
      priceText(o.price),
      fmt(s, market.base, o.quantity),
      fmt(s, market.base, o.filled),
      cancel(o),
    ]),
    h('h3', {}, 'Auction results'),
    listView(results, 'no auctions yet', ['Block', 'Clearing price', 'Volume'], (a) => [
      String(a.height),
      a.price === null ? 'no trade' : priceText(a.price),
      fmt(s, market.base, a.volume),
    ]),
  )
}

function placeOrder(s: Session, market: MarketJson, form: HTMLFormElement) {
  return async (): Promise<Result<string, CodedError>> => {
    const side = field(form, 'side') === 'buy' ? 'buy' : 'sell'
    const priceText = field(form, 'price')
    const price = parseDecimal(priceText, market.priceDecimals)
    if (price === null || price === 0n)
      return err({
        code: 'CONSOLE_PRICE_INVALID',
        message: `a price is a positive number with at most ${market.priceDecimals} decimals`,
      })
    const baseType = s.pointTypes.get(market.base)
    const quoteType = s.pointTypes.get(market.quote)
    if (!baseType || !quoteType)
      return err({ code: 'CONSOLE_NO_POINT_TYPE', message: 'unknown market types' })
    const qty = parseAmountInput(field(form, 'quantity'), market.base, baseType.decimals)
    if (!qty.ok) return qty
    if (qty.value % BigInt(market.lotSize) !== 0n)
      return err({
        code: 'CONSOLE_LOT_SIZE',
        message: `the quantity must be a multiple of the lot, ${fmt(s, market.base, market.lotSize)}`,
      })
    const escrowSymbol = side === 'sell' ? market.base : market.quote
    const escrow =
      side === 'sell' ? qty.value : buyEscrowFor(qty.value, price, market.priceDecimals)
    const have = await available(s, escrowSymbol)
    if (!have.ok) return have
    const enough = checkBalance(
      escrow,
      have.value,
      escrowSymbol,
      s.pointTypes.get(escrowSymbol)?.decimals ?? 0,
    )
    if (!enough.ok) return enough
    const done = await s.submit('order.place', {
      market: market.id,
      side,
      price,
      quantity: qty.value,
      goodTillHeight: s.height + 50,
    })
    if (!done.ok) return done
    return ok(
      `${side} order placed in block ${done.value.height}; the call auction of each block clears it`,
    )
  }
}

async function marketCard(s: Session, refresh: () => void): Promise<HTMLElement> {
  const got = await s.api.get<Page<MarketJson>>('/v1/markets?limit=1000')
  const markets = got.ok ? got.value.items : []
  const market = markets[0]
  if (!market)
    return card(
      'Exchange',
      'market-card',
      h('p', { class: 'muted' }, got.ok ? 'No markets.' : codedText(got.error)),
    )
  const form = txForm(
    'order',
    'Place order',
    ...[
      row(
        'Market',
        select(
          'market',
          markets.map((m) => [m.id, m.id]),
        ),
      ),
      row(
        'Side',
        select('side', [
          ['sell', `sell ${market.base} for ${market.quote}`],
          ['buy', `buy ${market.base} with ${market.quote}`],
        ]),
      ),
      row(`Price (${market.quote} minor units per ${market.base} minor unit)`, input('price')),
      row(`Quantity (${market.base})`, input('quantity')),
    ],
  )
  const details = h('div', { id: 'market-details' })
  const reload = (): void => {
    void marketDetails(s, market, details, reload)
  }
  onSubmit(form, async () => {
    const r = await placeOrder(s, market, form)()
    reload()
    refresh()
    return r
  })
  reload()
  const last = market.lastPrice ?? market.referencePrice
  return card(
    'Exchange (call auction every block)',
    'market-card',
    h(
      'p',
      { class: 'muted' },
      `${market.id}: last price ${formatDecimal(BigInt(last), market.priceDecimals)} ` +
        `(${perWhole(s, market, BigInt(last))} ${market.quote} per ${market.base}), ` +
        `lot ${fmt(s, market.base, market.lotSize)}`,
    ),
    form,
    details,
  )
}

/** The small catalogue of a mall: item name and price in whole units of the mall's type. */
const CATALOGUE: readonly (readonly [string, string])[] = [
  ['Coffee voucher', '5'],
  ['Cinema ticket', '20'],
  ['Gift card', '50'],
]

function mall(
  s: Session,
  title: string,
  id: string,
  symbol: string,
  acceptor: string,
  refresh: () => void,
): HTMLElement {
  const box = h('div', { class: 'item', id })
  const items = CATALOGUE.map(([name, price], i) => {
    const b = h(
      'button',
      { type: 'button', 'data-mall': id, 'data-item': String(i) },
      `Redeem ${price} ${symbol}`,
    )
    b.addEventListener('click', () => {
      void redeem(s, symbol, price, acceptor, `${id}/${i}`).then((r) => {
        say(box, r.ok ? 'ok' : 'error', r.ok ? r.value : codedText(r.error))
        if (r.ok) refresh()
      })
    })
    return h('div', {}, `${name} `, b)
  })
  return h('div', {}, h('h3', {}, title), box, ...items)
}

async function redeem(
  s: Session,
  symbol: string,
  price: string,
  acceptor: string,
  itemRef: string,
): Promise<Result<string, CodedError>> {
  const type = s.pointTypes.get(symbol)
  if (!type) return err({ code: 'CONSOLE_NO_POINT_TYPE', message: `no point type ${symbol}` })
  const amount = parseAmountInput(price, symbol, type.decimals)
  if (!amount.ok) return amount
  const have = await available(s, symbol)
  if (!have.ok) return have
  const enough = checkBalance(amount.value, have.value, symbol, type.decimals)
  if (!enough.ok) return enough
  const orderRef = `${itemRef}/${Date.now()}`.slice(0, REF_LENGTH_MAX)
  const done = await s.submit('points.redeem', {
    pointType: symbol,
    amount: amount.value,
    acceptor: fromHex(acceptor),
    orderRef,
  })
  if (!done.ok) return done
  return ok(
    `redeemed ${fmt(s, symbol, amount.value)} (order ${orderRef}) in block ${done.value.height}`,
  )
}

function mallsCard(s: Session, refresh: () => void): HTMLElement {
  const acceptors = s.enterprises.filter((e) => e.active && e.isAcceptor)
  const operator = acceptors[0]
  const malls: HTMLElement[] = []
  if (operator)
    malls.push(
      mall(
        s,
        `Universal mall (${s.universal}, run by ${operator.name})`,
        'mall-universal',
        s.universal,
        operator.address,
        refresh,
      ),
    )
  for (const e of acceptors) {
    for (const t of s.pointTypes.values()) {
      if (t.issuer === e.address)
        malls.push(
          mall(s, `${e.name} mall (${t.symbol})`, `mall-${t.symbol}`, t.symbol, e.address, refresh),
        )
    }
  }
  const section = card('Malls', 'malls', h('div', { class: 'catalogue' }, ...malls))
  section.classList.add('wide')
  return section
}

async function renderHistory(s: Session, el: HTMLElement): Promise<void> {
  if (!s.key) return
  const got = await latest<HistoryJson>(s.api, `/v1/accounts/${s.key.addressHex}/history`, 15)
  if (!got.ok) {
    fill(el, h('p', { class: 'msg error' }, codedText(got.error)))
    return
  }
  const items = got.value
  const marks = await Promise.all(
    items.map(async (item) => {
      const v = await s.light!.getVerifiedTx(item.txId)
      return v.ok && v.value.height === item.height
        ? h('span', { class: 'verified' }, '✓ verified')
        : h(
            'span',
            { class: 'unverified' },
            v.ok ? 'height differs' : `✗ ${codedOfClient(v.error).code}`,
          )
    }),
  )
  fill(
    el,
    items.length > 0
      ? table(
          ['Block', 'Kind', 'Tx', 'Certificate'],
          items.map((item, i) => [
            String(item.height),
            item.kind,
            h('span', { class: 'mono' }, short(item.txId)),
            marks[i],
          ]),
        )
      : h('p', { class: 'muted' }, 'No history yet.'),
  )
}

/** Renders the consumer page into `root`. */
export async function renderConsumer(s: Session, root: HTMLElement): Promise<void> {
  const balances = h('div', { id: 'balances' })
  const history = h('div', { id: 'history' })
  const refresh = (): void => {
    void renderBalances(s, balances)
    void renderHistory(s, history)
  }
  const rerender = (): void => {
    rerenderPage(root, () => renderConsumer(s, root))
  }
  const rates = await ratesOf(s)
  const sections: HTMLElement[] = [keyPanel(s, 'a consumer', rerender)]
  if (s.key) {
    sections.push(
      accountCard(s, refresh),
      card('Balances', 'balances-card', balances),
      transferCard(s, refresh),
      convertCard(s, rates, refresh),
      await marketCard(s, refresh),
      mallsCard(s, refresh),
      card('History', 'history-card', history),
    )
    refresh()
  }
  fill(root, ...sections)
}
