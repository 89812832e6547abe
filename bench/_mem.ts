import { createBenchTestnet } from './cluster-lib.ts'
import { loadGenesis } from '../src/node/genesis-file.ts'
import { buildGenesis } from '../src/chain/genesis.ts'
import { rmSync } from 'node:fs'
const gc = (globalThis as any).gc as () => void
const mb = () => { gc(); gc(); return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0) }
const N = Number(process.argv[2] ?? 1_000_000)
const t = createBenchTestnet(1, [], N, 1)
console.log('heap base', mb())
let g: any = loadGenesis(t.homes[0]!)
console.log('heap with genesis doc', mb())
let b: any = buildGenesis(g)
console.log('heap with doc + built (incl writeSet)', mb(), 'keys', b.value.state.size, 'tree', b.value.tree.size)
b = { state: b.value.state, tree: b.value.tree }
console.log('heap doc + state + tree', mb())
g = null
console.log('heap state + tree', mb())
b.tree = null
console.log('heap state only', mb())
rmSync(t.dir, { recursive: true, force: true })
