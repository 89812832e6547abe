/**
 * Goal: the web console works end to end in a real browser (issue #10): a consumer creates a key and
 * registers, receives points an enterprise issues with a voucher document, converts them, places an
 * order that clears in the block's call auction, redeems in a mall; the enterprise exports the
 * settlement CSV; the operator's statistics change; bad input shows a coded message and submits
 * nothing; the console works from another origin (CORS), names a node an `?api=` link set without
 * saving it, and shows a banner when the node is down.
 * Method: headless Debian Chromium (playwright-core) against the in-process dev consortium
 * (4 validators, demo data) serving the bundled console at /console/. Expected values come from the
 * demo's fixed parameters and the amounts typed here, and are cross-checked against the node's API.
 * Screenshots (1280×800) go to docs/console/.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signedTx } from '../../src/client/tx-builder.ts'
import { demoKeys } from '../../src/node/demo.ts'
import { toHex } from '../../src/util/bytes.ts'
import { startConsoleHarness, type ConsoleHarness } from '../support/console-harness.ts'

const SHOTS = join(import.meta.dirname, '../../docs/console')
const PASSWORD = 'correct horse battery'
const demo = demoKeys()

let h: ConsoleHarness
let page: Page
let consumer = ''
const posts: string[] = []

async function show(p: Page, name: 'consumer' | 'enterprise' | 'platform'): Promise<void> {
  await p.evaluate(`location.hash = '${name}'`)
  await p.waitForSelector(`#page[data-page=${name}][data-ready=true]`)
}

/** Submits the form `#id` and returns its outcome line once it is no longer "working…". */
async function submit(p: Page, id: string): Promise<{ ok: boolean; text: string }> {
  await p.click(`#${id} button[type=submit]`)
  const msg = p.locator(`#${id} > .msg:not(.info)`)
  await msg.waitFor({ timeout: 30_000 })
  const cls = (await msg.getAttribute('class')) ?? ''
  return { ok: cls.includes('ok'), text: (await msg.textContent()) ?? '' }
}

async function useKey(p: Page, label: string, secretHex: string): Promise<string> {
  await p.fill('#new-key input[name=label]', label)
  await p.fill('#new-key input[name=secret]', secretHex)
  await p.fill('#new-key input[name=password]', PASSWORD)
  await p.click('#new-key button[type=submit]')
  const address = p.locator('#active-address')
  await address.waitFor()
  return (await address.textContent()) ?? ''
}

async function unlock(p: Page, address: string): Promise<void> {
  await p.selectOption('#unlock-key select[name=address]', address)
  await p.fill('#unlock-key input[name=password]', PASSWORD)
  await p.click('#unlock-key button[type=submit]')
  // The key panel changes at once; the rest of the page is ready when `data-ready` is back.
  await p.waitForFunction(
    `document.querySelector('#active-address')?.textContent === ${JSON.stringify(address)} && document.querySelector('#page')?.dataset.ready === 'true'`,
  )
}

async function statsRow(p: Page, name: string): Promise<string[]> {
  const outcome = await submit(p, 'platform-stats-form')
  expect(outcome.ok, outcome.text).toBe(true)
  const row = p.locator('#platform-stats tr', { hasText: name })
  return row.locator('td').allTextContents()
}

async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(h.apiUrl + path)
  expect(response.status, path).toBe(200)
  return (await response.json()) as T
}

beforeAll(async () => {
  h = await startConsoleHarness()
  mkdirSync(SHOTS, { recursive: true })
  page = await h.newPage()
  page.on('request', (r: Request) => {
    if (r.method() === 'POST') posts.push(r.url())
  })
  await page.goto(`${h.apiUrl}/console/#platform`)
  await page.waitForSelector('#page[data-page=platform][data-ready=true]')
}, 120_000)

afterAll(async () => {
  await (h as ConsoleHarness | undefined)?.stop()
}, 60_000)

describe('web console in Chromium', { timeout: 120_000 }, () => {
  let before: string[] = []

  it('is served by the node and connects to it', async () => {
    expect(await page.textContent('#node-status')).toMatch(/connected · pointsnode-dev/)
    // Served by the node it talks to: no "Node: …" notice in the header.
    expect(await page.isHidden('#node-origin')).toBe(true)
    before = await statsRow(page, 'ACME Retail')
    expect(before.length).toBe(6)
  })

  it('a consumer creates a key in the browser and registers', async () => {
    await show(page, 'consumer')
    consumer = await useKey(page, 'alice', '')
    expect(consumer).toMatch(/^[0-9a-f]{40}$/)
    const stored = String(await page.evaluate("localStorage.getItem('pointsnode.keystores')"))
    expect(stored).toContain('"ciphertext"')
    expect(stored).not.toContain('secretKey')
    const outcome = await submit(page, 'register')
    expect(outcome.ok, outcome.text).toBe(true)
  })

  it('an enterprise issues points to the consumer with a voucher document', async () => {
    await show(page, 'enterprise')
    const acme = await useKey(page, 'acme', toHex(demo.acme.secretKey))
    expect(acme).toBe(demo.acme.addressHex)
    await page.selectOption('#issue select[name=pointType]', 'ACME')
    await page.fill('#issue input[name=to]', consumer)
    await page.fill('#issue input[name=amount]', '1000')
    await page.fill('#issue input[name=voucherRef]', 'MC-2026-0042')
    const contract = {
      name: 'contract.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Marketing contract 42'),
    }
    await page.setInputFiles('#issue input[name=voucherFile]', contract)
    const outcome = await submit(page, 'issue')
    expect(outcome.ok, outcome.text).toBe(true)
    expect(outcome.text).toContain('detail encrypted to the operator')
    // The same document cannot back a second issuance of the type: the node's coded error shows.
    const again = await submit(page, 'issue')
    expect(again.ok).toBe(false)
    expect(again.text).toContain('TX_VOUCHER_REUSED')
    await page.screenshot({ path: join(SHOTS, 'enterprise.png') })
  })

  it('the consumer sees the verified balance and converts to universal points', async () => {
    await show(page, 'consumer')
    await unlock(page, consumer)
    // The marker names the account: the page of the previously unlocked key may still be shown.
    await page.waitForSelector(`#balances-verified[data-address="${consumer}"]`)
    expect(await page.textContent('#balances')).toContain('1000.00 ACME')
    await page.selectOption('#convert select[name=fromType]', 'ACME')
    await page.selectOption('#convert select[name=toType]', 'UNI')
    await page.fill('#convert input[name=amount]', '100')
    const outcome = await submit(page, 'convert')
    expect(outcome.ok, outcome.text).toBe(true)
    const balances = await apiGet<{ balances: { pointType: string; amount: string }[] }>(
      `/v1/accounts/${consumer}/balances`,
    )
    const acme = balances.balances.find((b) => b.pointType === 'ACME')
    expect(acme?.amount).toBe('90000') // 1000.00 − 100.00 ACME, in minor units
    expect(balances.balances.some((b) => b.pointType === 'UNI' && BigInt(b.amount) > 0n)).toBe(true)
  })

  it('the consumer sells ACME for BETA; the order clears in the call auction', async () => {
    // The counterparty: the demo consumer bids 100.00 ACME at 0.20 BETA each (2000 ticks of escrow).
    const status = await apiGet<{ height: number }>('/v1/status')
    const bid = signedTx(
      demo.consumer,
      'order.place',
      {
        market: 'ACME/BETA',
        side: 'buy',
        price: 20n,
        quantity: 10_000n,
        goodTillHeight: status.height + 50,
      },
      { chainId: 'pointsnode-dev', expiresAtHeight: status.height + 50 },
    )
    const placed = await fetch(`${h.apiUrl}/v1/txs?wait=commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: toHex(bid.signedBytes) }),
    })
    expect(placed.status).toBe(200)
    await page.selectOption('#order select[name=side]', 'sell')
    await page.fill('#order input[name=price]', '0.20')
    await page.fill('#order input[name=quantity]', '100')
    const outcome = await submit(page, 'order')
    expect(outcome.ok, outcome.text).toBe(true)
    const auctions = await apiGet<{ items: { price: string | null; volume: string }[] }>(
      '/v1/markets/ACME%2FBETA/auctions',
    )
    expect(auctions.items.some((a) => a.price === '20' && a.volume === '10000')).toBe(true)
    await page.waitForFunction(
      "document.querySelector('#market-details')?.textContent?.includes('0.20 BETA/ACME')",
    )
    const balances = await apiGet<{ balances: { pointType: string; amount: string }[] }>(
      `/v1/accounts/${consumer}/balances`,
    )
    expect(balances.balances.find((b) => b.pointType === 'BETA')?.amount).toBe('2000') // floor(10000 minor units × 20 ticks / 10^2), SPEC §4.1
  })

  it('the consumer redeems in the ACME mall', async () => {
    await page.click('button[data-mall="mall-ACME"][data-item="0"]')
    const msg = page.locator('#mall-ACME > .msg:not(.info)')
    await msg.waitFor({ timeout: 30_000 })
    expect(await msg.textContent()).toContain('redeemed 5.00 ACME')
    const burns = await apiGet<{ items: { reason: string; holder: string }[] }>(
      `/v1/burns?acceptor=${demo.acme.addressHex}`,
    )
    expect(burns.items.some((b) => b.reason === 'redemption' && b.holder === consumer)).toBe(true)
    await page.waitForSelector('#history .verified')
    await page.screenshot({ path: join(SHOTS, 'consumer.png') })
  })

  it('bad input shows a coded message and submits nothing', async () => {
    const cases: [string, string, string][] = [
      ['-5', consumer, 'CONSOLE_AMOUNT_NEGATIVE'],
      ['1.234', consumer, 'CONSOLE_AMOUNT_DECIMALS'],
      ['1', 'not-an-address', 'CONSOLE_ADDRESS_MALFORMED'],
      ['1', 'ab'.repeat(20), 'CONSOLE_UNKNOWN_ADDRESS'],
      ['100000', consumer, 'CONSOLE_INSUFFICIENT_BALANCE'],
    ]
    await page.selectOption('#transfer select[name=pointType]', 'ACME')
    const postsBefore = posts.length
    for (const [amount, to, code] of cases) {
      await page.fill('#transfer input[name=amount]', amount)
      await page.fill('#transfer input[name=to]', to)
      const outcome = await submit(page, 'transfer')
      expect(outcome.ok, `${amount} → ${to}`).toBe(false)
      expect(outcome.text, `${amount} → ${to}`).toContain(code)
    }
    expect(posts.length - postsBefore).toBe(0)
    await page.locator('#transfer-card').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SHOTS, 'bad-input.png') })
  })

  it('the enterprise exports the settlement report as CSV', async () => {
    await show(page, 'enterprise')
    await unlock(page, demo.acme.addressHex)
    const outcome = await submit(page, 'settlement')
    expect(outcome.ok, outcome.text).toBe(true)
    const csv = (await page.textContent('#settlement-csv')) ?? ''
    const [header, ...lines] = csv.trim().split('\n')
    expect(header).toMatch(/debtor/i)
    // The conversion of ACME to UNI makes ACME owe the platform.
    expect(lines.some((l) => l.includes(demo.acme.addressHex))).toBe(true)
    const download = page.waitForEvent('download')
    await page.click('#settlement-download')
    expect((await download).suggestedFilename()).toMatch(/^settlement-.*\.csv$/)
    await page.locator('#settlement-card').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SHOTS, 'enterprise-settlement.png') })
  })

  it('the operator sees the statistics change', async () => {
    await show(page, 'platform')
    const after = await statsRow(page, 'ACME Retail')
    const [, issued0, redeemed0, converted0] = before
    const [, issued1, redeemed1, converted1] = after
    expect(Number(issued1), 'issued').toBeGreaterThan(Number(issued0))
    expect(Number(redeemed1), 'redeemed').toBeGreaterThan(Number(redeemed0))
    expect(Number(converted1), 'converted').toBeGreaterThan(Number(converted0))
    await page.screenshot({ path: join(SHOTS, 'platform.png') })
  })

  it('works from another origin through CORS, and shows a banner when the node is down', async () => {
    const other = await h.newPage()
    try {
      await other.goto(`${h.otherOrigin}/index.html?api=${encodeURIComponent(h.apiUrl)}#consumer`)
      await other.waitForSelector('#page[data-page=consumer][data-ready=true]')
      expect(await other.textContent('#node-status')).toMatch(/connected/)
      // A node named by the link: shown in the header, used for this visit only (not saved).
      expect(await other.textContent('#node-origin')).toBe(
        `Node: ${h.apiUrl} (set by the link that opened this page, for this visit only)`,
      )
      expect(await other.evaluate("localStorage.getItem('pointsnode.api')")).toBeNull()
      const pinned = "Object.keys(localStorage).filter((k) => k.startsWith('pointsnode.trust.'))"
      expect(await other.evaluate(pinned)).toEqual([])
      await useKey(other, 'bob', '')
      const outcome = await submit(other, 'register')
      expect(outcome.ok, outcome.text).toBe(true)
      await other.goto(
        `${h.otherOrigin}/index.html?api=${encodeURIComponent('http://127.0.0.1:9')}#consumer`,
      )
      await other.waitForSelector('#banner:not([hidden])')
      expect(await other.textContent('#banner')).toContain('Node unreachable')
      expect(await other.textContent('#node-status')).toBe('node unreachable')
      await other.screenshot({ path: join(SHOTS, 'node-unreachable.png') })
    } finally {
      await other.context().close()
    }
  })
})
