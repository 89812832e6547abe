/**
 * The list and report routes: account history, point types, rates, markets with order books and
 * auction results, burns, issuances by voucher, the settlement report (JSON and CSV), enterprise
 * statistics and enterprises. Lists that grow use cursor pagination (`?cursor=&limit=`, response
 * `{ items, next }`); the ledger-backed ones (history, rate history, auctions, burns, issuances)
 * also take `?order=asc|desc`, so a client reads the newest records first. Spec: SPEC §9;
 * docs/api.md#conventions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ListOrder, OrderedPageQuery, ReadModel, ReadResult, ViewPage } from './read-model.ts'
import {
  AUCTION_ITEM,
  BURN_ITEM,
  ENTERPRISE_ITEM,
  HISTORY_ITEM,
  ISSUANCE_ITEM,
  MARKET_ITEM,
  MARKET_JSON,
  ORDER_PARAM,
  PAGE_QUERY,
  POINT_TYPE_ITEM,
  POINT_TYPE_JSON,
  RATE_HISTORY_ITEM,
  RATE_ITEM,
  SETTLEMENT_JSON,
  STATS_JSON,
  errors,
  pageOf,
  params,
} from './read-schemas.ts'
import {
  parseAddress,
  parseBytes,
  parseMarketId,
  parsePage,
  parsePeriod,
  parseSymbol,
  sendError,
  type Parsed,
} from './route-input.ts'

interface Query {
  readonly cursor?: string
  readonly limit?: string
  readonly order?: string
  readonly issuer?: string
  readonly acceptor?: string
  readonly from?: string
  readonly to?: string
  readonly voucher?: string
}

/**
 * A paged list route whose handler reads one page for its parsed key. An `ordered` list (one the
 * ledger pages both ways) takes `?order=asc|desc`; the others are always ascending and refuse it as
 * an unknown parameter.
 */
function listRoute<K>(
  app: FastifyInstance,
  url: string,
  spec: {
    description: string
    item: Record<string, unknown>
    params?: string[]
    query?: Record<string, unknown>
    required?: string[]
    ordered?: boolean
    key: (request: FastifyRequest) => Parsed<K>
    read: (key: K, page: OrderedPageQuery) => Promise<ReadResult<ViewPage>>
  },
): void {
  const ordered = spec.ordered === true
  const schema = {
    description: spec.description,
    ...(spec.params ? { params: params(...spec.params) } : {}),
    querystring: {
      ...PAGE_QUERY,
      properties: {
        ...PAGE_QUERY.properties,
        ...(ordered ? { order: ORDER_PARAM } : {}),
        ...(spec.query ?? {}),
      },
      ...(spec.required ? { required: spec.required } : {}),
    },
    response: { 200: pageOf(spec.item), ...errors(400, 404) },
  }
  app.get(url, { schema }, async (request, reply) => {
    const key = spec.key(request)
    if (!key.ok) return sendError(reply, key.error)
    const page = parsePage(query(request))
    if (!page.ok) return sendError(reply, page.error)
    // The schema admits `order` only on ordered lists, and there only `asc` or `desc`.
    const order: ListOrder = query(request).order === 'desc' ? 'desc' : 'asc'
    const result = await spec.read(key.value, { ...page.value, order })
    if (!result.ok) return sendError(reply, result.error)
    return result.value
  })
}

const none = (): Parsed<null> => ({ ok: true, value: null })
const param = (request: FastifyRequest, name: string): string | undefined =>
  (request.params as Record<string, string | undefined>)[name]
const query = (request: FastifyRequest): Query => request.query as Query
const str = (description: string): Record<string, unknown> => ({ type: 'string', description })

function registerStateLists(app: FastifyInstance, read: ReadModel): void {
  listRoute(app, '/v1/accounts/:address/history', {
    description: 'The committed txs that touched an account, oldest first (or `order=desc`).',
    item: HISTORY_ITEM,
    params: ['address'],
    ordered: true,
    key: (r) => parseAddress(param(r, 'address')),
    read: (address, page) => read.history(address, page),
  })
  listRoute(app, '/v1/point-types', {
    description: 'Point types with their policy and supply, by symbol.',
    item: POINT_TYPE_ITEM,
    key: none,
    read: (_k, page) => read.pointTypes(page),
  })
  listRoute(app, '/v1/rates', {
    description: 'The current rate of every point type to universal points.',
    item: RATE_ITEM,
    key: none,
    read: (_k, page) => read.rates(page),
  })
  listRoute(app, '/v1/rates/:pointType/history', {
    description: 'The rate changes of one point type, oldest first (or `order=desc`).',
    item: RATE_HISTORY_ITEM,
    params: ['pointType'],
    ordered: true,
    key: (r) => parseSymbol(param(r, 'pointType')),
    read: (symbol, page) => read.rateHistory(symbol, page),
  })
  listRoute(app, '/v1/markets', {
    description: 'Markets by id.',
    item: MARKET_ITEM,
    key: none,
    read: (_k, page) => read.markets(page),
  })
  listRoute(app, '/v1/markets/:id/auctions', {
    description:
      'Call auction results of a market, one per block that ran it, oldest first (or `order=desc`).',
    item: AUCTION_ITEM,
    params: ['id'],
    ordered: true,
    key: (r) => parseMarketId(param(r, 'id')),
    read: (id, page) => read.auctions(id, page),
  })
  listRoute(app, '/v1/enterprises', {
    description: 'Admitted enterprises by address.',
    item: ENTERPRISE_ITEM,
    key: none,
    read: (_k, page) => read.enterprises(page),
  })
}

function registerOneItemRoutes(app: FastifyInstance, read: ReadModel): void {
  app.get(
    '/v1/point-types/:id',
    {
      schema: {
        description: 'One point type: policy, supply and current rate.',
        params: params('id'),
        response: { 200: POINT_TYPE_JSON, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const symbol = parseSymbol(param(request, 'id'))
      if (!symbol.ok) return sendError(reply, symbol.error)
      const view = await read.pointType(symbol.value)
      if (!view)
        return sendError(reply, { code: 'API_POINT_TYPE_NOT_FOUND', message: 'unknown point type' })
      return view
    },
  )
  app.get(
    '/v1/markets/:id',
    {
      schema: {
        description: 'A market (id `BASE/QUOTE`, in the path `BASE%2FQUOTE`) and its order book.',
        params: params('id'),
        querystring: PAGE_QUERY,
        response: { 200: MARKET_JSON, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const id = parseMarketId(param(request, 'id'))
      if (!id.ok) return sendError(reply, id.error)
      const page = parsePage(query(request))
      if (!page.ok) return sendError(reply, page.error)
      const market = await read.market(id.value)
      if (!market)
        return sendError(reply, { code: 'API_MARKET_NOT_FOUND', message: 'unknown market' })
      const book = await read.orderBook(id.value, page.value)
      if (!book.ok) return sendError(reply, book.error)
      return { market, orders: book.value.items, next: book.value.next }
    },
  )
}

function registerRecordLists(app: FastifyInstance, read: ReadModel): void {
  listRoute(app, '/v1/burns', {
    description:
      'Burn records by issuer, by acceptor, or by block time `[from, to)` (UNIX ms), oldest first (or `order=desc`).',
    item: BURN_ITEM,
    ordered: true,
    query: {
      issuer: str('issuer address (hex)'),
      acceptor: str('acceptor address (hex)'),
      from: str('period start, UNIX ms'),
      to: str('period end (exclusive), UNIX ms'),
    },
    key: (r) => burnFilter(query(r)),
    read: (filter, page) => read.burns(filter, page),
  })
  listRoute(app, '/v1/issuances', {
    description: 'The issuances a voucher digest backs, by point type (or `order=desc`).',
    item: ISSUANCE_ITEM,
    ordered: true,
    query: { voucher: str('voucher digest (32 bytes hex)') },
    required: ['voucher'],
    key: (r) => parseBytes(query(r).voucher, 32, 'API_BAD_QUERY', 'voucher'),
    read: (voucher, page) => read.issuances(voucher, page),
  })
}

function burnFilter(q: Query): Parsed<Parameters<ReadModel['burns']>[0]> {
  const chosen = [q.issuer, q.acceptor, q.from ?? q.to].filter((x) => x !== undefined).length
  if (chosen !== 1) {
    const message = 'give exactly one of issuer=, acceptor= or from=&to='
    return { ok: false, error: { code: 'API_BAD_QUERY', message } }
  }
  if (q.issuer !== undefined) {
    const a = parseAddress(q.issuer, 'issuer')
    return a.ok ? { ok: true, value: { by: 'issuer', address: a.value } } : a
  }
  if (q.acceptor !== undefined) {
    const a = parseAddress(q.acceptor, 'acceptor')
    return a.ok ? { ok: true, value: { by: 'acceptor', address: a.value } } : a
  }
  const period = parsePeriod(q.from, q.to)
  if (!period.ok) return period
  return { ok: true, value: { by: 'time', fromMs: period.value[0], toMs: period.value[1] } }
}

const CSV = { type: 'string', description: 'RFC 4180 CSV with a header row' } as const

const PERIOD_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: { from: str('period start, UNIX ms'), to: str('period end (exclusive), UNIX ms') },
} as const

function registerReports(app: FastifyInstance, read: ReadModel): void {
  const settlement = async (request: FastifyRequest, reply: FastifyReply, csv: boolean) => {
    const q = query(request)
    const period = parsePeriod(q.from, q.to)
    if (!period.ok) return sendError(reply, period.error)
    const report = await read.settlement(period.value[0], period.value[1])
    if (!report.ok) return sendError(reply, report.error)
    if (!csv) return report.value.json
    const name = `settlement-${q.from ?? ''}-${q.to ?? ''}.csv`
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .serializer((payload: unknown) => payload as string)
      .send(report.value.csv)
  }
  const describe =
    'The settlement report of `[from, to)` (UNIX ms): netted obligations between enterprises.'
  app.get(
    '/v1/settlement',
    {
      schema: {
        description: `${describe} JSON, or CSV with \`Accept: text/csv\`.`,
        querystring: PERIOD_QUERY,
        response: {
          200: {
            content: {
              'application/json': { schema: SETTLEMENT_JSON },
              'text/csv': { schema: CSV },
            },
          },
          ...errors(400),
        },
      },
    },
    (request, reply) => settlement(request, reply, wantsCsv(request.headers.accept)),
  )
  app.get(
    '/v1/settlement.csv',
    {
      schema: {
        description: `${describe} CSV (RFC 4180).`,
        querystring: PERIOD_QUERY,
        response: { 200: { content: { 'text/csv': { schema: CSV } } }, ...errors(400) },
      },
    },
    (request, reply) => settlement(request, reply, true),
  )
  app.get(
    '/v1/stats/enterprises/:id',
    {
      schema: {
        description:
          'Activity of an enterprise per UTC day over the days overlapping `[from, to)`.',
        params: params('id'),
        querystring: PERIOD_QUERY,
        response: { 200: STATS_JSON, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const address = parseAddress(param(request, 'id'), 'enterprise')
      if (!address.ok) return sendError(reply, address.error)
      const period = parsePeriod(query(request).from, query(request).to)
      if (!period.ok) return sendError(reply, period.error)
      const stats = await read.enterpriseStats(address.value, period.value[0], period.value[1])
      if (!stats.ok) return sendError(reply, stats.error)
      return stats.value
    },
  )
}

/** True when the Accept header prefers CSV over JSON (CSV listed, JSON not before it). */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase())
  const csv = types.indexOf('text/csv')
  const json = types.indexOf('application/json')
  return csv >= 0 && (json < 0 || csv < json)
}

/** Registers the list and report routes over `read`. */
export function registerQueryRoutes(app: FastifyInstance, read: ReadModel): void {
  registerStateLists(app, read)
  registerOneItemRoutes(app, read)
  registerRecordLists(app, read)
  registerReports(app, read)
}
