/**
 * Entry of the web console (SPEC §12; docs/console.md): picks the node's API base URL (the
 * `?api=` query for this visit only, the last one used, or the origin that served the page;
 * console/node-base.ts), connects the session, routes between the consumer, enterprise and
 * platform pages by the URL hash, names the node in the header when it is not the page's own
 * origin, and shows a clear banner whenever the node is unreachable.
 */
import { codedText } from './pages/common.ts'
import { renderConsumer } from './pages/consumer.ts'
import { renderEnterprise } from './pages/enterprise.ts'
import { renderPlatform } from './pages/platform.ts'
import { NODE_UNREACHABLE } from './api.ts'
import {
  chooseBase,
  foreignNodeNotice,
  rememberBase,
  remembers,
  typedBase,
  type NodeBase,
} from './node-base.ts'
import { Session } from './session.ts'
import { fill, h } from './ui.ts'

const PAGES = ['consumer', 'enterprise', 'platform'] as const
type PageName = (typeof PAGES)[number]
const HEALTH_EVERY_MS = 3000

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
/** The current session's base and where it came from (a reconnect keeps both). */
let current: NodeBase | null = null

/** Names the node in the header when it is not the page's own origin. */
function showNode(node: NodeBase): void {
  const notice = foreignNodeNotice(node, location.origin)
  const el = byId('node-origin')
  el.hidden = notice === null
  el.textContent = notice ?? ''
}

async function connect(node: NodeBase): Promise<void> {
  const previousKey = session?.key ?? null
  const previousLabel = session?.keyLabel ?? ''
  const s = new Session(
    node.base,
    (reachable) => {
      setReachable(s, reachable)
    },
    remembers(node.source),
  )
  s.key = previousKey
  s.keyLabel = previousLabel
  session = s
  const here = { base: s.api.base, source: node.source }
  current = here
  ;(byId('api-base') as HTMLInputElement).value = here.base
  showNode(here)
  const connected = await s.connect()
  if (!connected.ok) {
    s.light = null
    if (connected.error.code !== NODE_UNREACHABLE) {
      const banner = byId('banner')
      banner.hidden = false
      banner.textContent = `Cannot use this node: ${codedText(connected.error)}`
    }
  } else {
    // A base from a `?api=` link is for this visit only: a crafted link must not pin a node.
    rememberBase(localStorage, here)
    setReachable(s, true)
  }
  await render(s)
}

function pollHealth(): void {
  const s = session
  const node = current
  if (!s || !node) return
  void s.api.get<{ height: number }>('/health').then((r) => {
    if (r.ok) {
      s.height = Math.max(s.height, r.value.height)
      if (!s.light) void connect(node)
      else setReachable(s, true)
    }
  })
}

function start(): void {
  byId('node-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void connect(typedBase((byId('api-base') as HTMLInputElement).value, current))
  })
  window.addEventListener('hashchange', () => {
    if (session) void render(session)
  })
  setInterval(pollHealth, HEALTH_EVERY_MS)
  void connect(chooseBase(location, localStorage))
}

start()
