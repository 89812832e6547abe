/**
 * The simulator's virtual-time event queue: a binary heap ordered by (time, insertion sequence), so
 * events at the same virtual time run in the order they were scheduled (deterministic).
 */

interface Entry<T> {
  readonly time: number
  readonly seq: number
  readonly item: T
}

/** A min-heap of timed items. */
export class EventQueue<T> {
  private readonly heap: Entry<T>[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(time: number, item: T): void {
    const heap = this.heap
    heap.push({ time, seq: this.seq++, item })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  pop(): { time: number; item: T } | undefined {
    const heap = this.heap
    const top = heap[0]
    if (!top) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    return { time: top.time, item: top.item }
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
