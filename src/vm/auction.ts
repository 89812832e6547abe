// LOCAL TEST DOUBLE, never committed: a naive O(n^2) reading of SPEC 4.1 so the VM's settlement
// code can be exercised until the real auction.ts is merged from main.
export interface AuctionOrder { readonly id: string; readonly side: 'buy' | 'sell'; readonly price: bigint; readonly qty: bigint; readonly seq: bigint }
export interface AuctionResult { readonly price: bigint | null; readonly volume: bigint; readonly fills: ReadonlyMap<string, bigint> }
export function clearCallAuction(orders: readonly AuctionOrder[], lastPrice: bigint | null, referencePrice: bigint | null): AuctionResult {
  const fills = new Map(orders.map((o) => [o.id, 0n]))
  const prices = [...new Set(orders.map((o) => o.price))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const sum = (f: (o: AuctionOrder) => boolean): bigint => orders.filter(f).reduce((s, o) => s + o.qty, 0n)
  let V = 0n
  const stats = prices.map((p) => {
    const D = sum((o) => o.side === 'buy' && o.price >= p)
    const S = sum((o) => o.side === 'sell' && o.price <= p)
    const Dg = sum((o) => o.side === 'buy' && o.price > p)
    const Sl = sum((o) => o.side === 'sell' && o.price < p)
    const vol = D < S ? D : S
    if (vol > V) V = vol
    return { p, D, S, Dg, Sl, vol }
  })
  if (V === 0n) return { price: null, volume: 0n, fills }
  const feasible = stats.filter((s) => s.vol === V && s.Dg <= V && s.Sl <= V && (s.D === V || s.S === V))
  if (feasible.length === 0) return { price: null, volume: 0n, fills }
  const target = lastPrice ?? referencePrice ?? feasible[0]!.p
  const dist = (p: bigint): bigint => (p > target ? p - target : target - p)
  let best = feasible[0]!.p
  for (const s of feasible) if (dist(s.p) < dist(best) || (dist(s.p) === dist(best) && s.p < best)) best = s.p
  const P = best
  const alloc = (side: 'buy' | 'sell'): void => {
    const list = orders.filter((o) => o.side === side && (side === 'buy' ? o.price >= P : o.price <= P))
    list.sort((a, b) => (a.price !== b.price ? ((side === 'buy' ? a.price > b.price : a.price < b.price) ? -1 : 1) : a.seq < b.seq ? -1 : 1))
    let left = V
    for (const o of list) { const q = o.qty < left ? o.qty : left; fills.set(o.id, q); left -= q }
  }
  alloc('buy'); alloc('sell')
  return { price: P, volume: V, fills }
}
export function quoteForFill(fill: bigint, price: bigint, priceDecimals: number): bigint {
  return (fill * price) / 10n ** BigInt(priceDecimals)
}
