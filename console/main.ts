/**
 * Entry of the web console (SPEC §12; docs/console.md): picks the node's API base URL (the
 * `?api=` query, the last one used, or the origin that served the page), connects the session,
 * routes between the consumer, enterprise and platform pages by the URL hash, and shows a clear
 * banner whenever the node is unreachable.
 */
import { codedText } from './pages/common.ts'
import { renderConsumer } from './pages/consumer.ts'
import { renderEnterprise } from './pages/enterprise.ts'
import { renderPlatform } from './pages/platform.ts'
import { NODE_UNREACHABLE } from './api.ts'
import { Session } from './session.ts'
import { fill, h } from './ui.ts'

const API_KEY = 'pointsnode.api'
const PAGES = ['consumer', 'enterprise', 'platform'] as const
type PageName = (typeof PAGES)[number]
const HEALTH_EVERY_MS = 3000

function defaultBase(): string {
  const fromQuery = new URLSearchParams(location.search).get('api')
  if (fromQuery) return fromQuery
  const saved = localStorage.getItem(API_KEY)
  if (saved) return saved
  if (location.protocol.startsWith('http')) return location.origin
  return 'http://127.0.0.1:26657'
}

const byId = (id: string): HTMLElement => document.getElementById(id)!

function setReachable(session: Session, reachable: boolean): void {
  const banner = byId('banner')
  const status = byId('node-status')
  if (reachable) {
    banner.hidden = true
    status.className = 'status ok'
    status.textContent = `connected · ${session.chainId || '…'} · height ${session.height}`
  } else {
    banner.hidden = false
    banner.textContent = `Node unreachable: ${session.api.base} does not answer. Check the address or start the node; nothing can be read or submitted until it answers.`
    status.className = 'status down'
    status.textContent = 'node unreachable'
  }
}

function currentPage(): PageName {
  const name = location.hash.replace(/^#/, '')
  return (PAGES as readonly string[]).includes(name) ? (name as PageName) : 'consumer'
}

async function render(session: Session): Promise<void> {
  const page = currentPage()
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    a.classList.toggle('active', a.dataset['page'] === page)
  }
  const root = byId('page')
  root.dataset['page'] = page
  root.dataset['ready'] = 'false'
  if (!session.light) {
    fill(
      root,
      h(
        'section',
        { class: 'wide', id: 'not-connected' },
        h('h2', {}, 'Not connected'),
        h('p', {}, 'The console needs a node. Enter its API address above and press Connect.'),
      ),
    )
  } else if (page === 'consumer') await renderConsumer(session, root)
  else if (page === 'enterprise') renderEnterprise(session, root)
  else await renderPlatform(session, root)
  root.dataset['ready'] = 'true'
}

let session: Session | null = null

async function connect(base: string): Promise<void> {
  const previousKey = session?.key ?? null
  const previousLabel = session?.keyLabel ?? ''
  const s = new Session(base, (reachable) => {
    setReachable(s, reachable)
  })
  s.key = previousKey
  s.keyLabel = previousLabel
  session = s
  ;(byId('api-base') as HTMLInputElement).value = s.api.base
  const connected = await s.connect()
  if (!connected.ok) {
    s.light = null
    if (connected.error.code !== NODE_UNREACHABLE) {
      const banner = byId('banner')
      banner.hidden = false
      banner.textContent = `Cannot use this node: ${codedText(connected.error)}`
    }
  } else {
    localStorage.setItem(API_KEY, s.api.base)
    setReachable(s, true)
  }
  await render(s)
}

function pollHealth(): void {
  const s = session
  if (!s) return
  void s.api.get<{ height: number }>('/health').then((r) => {
    if (r.ok) {
      s.height = Math.max(s.height, r.value.height)
      if (!s.light) void connect(s.api.base)
      else setReachable(s, true)
    }
  })
}

function start(): void {
  byId('node-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void connect((byId('api-base') as HTMLInputElement).value.trim())
  })
  window.addEventListener('hashchange', () => {
    if (session) void render(session)
  })
  setInterval(pollHealth, HEALTH_EVERY_MS)
  void connect(defaultBase())
}

start()
