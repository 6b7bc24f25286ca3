import { useState } from 'preact/hooks'
import { Api, login, storeSession, storedSession, type Session } from './api.js'
import { useAction } from './hooks.js'
import { ServersView } from './servers.js'
import { FloatingIpsView } from './floating-ips.js'
import { KeypairsView } from './keypairs.js'
import { RescueRunsView } from './rescue-runs.js'

type Tab = 'servers' | 'floating-ips' | 'keypairs' | 'rescue-runs'

const TAB_LABELS: Record<Tab, string> = { servers: 'Servers', 'floating-ips': 'Floating IPs', keypairs: 'Key pairs', 'rescue-runs': 'Rescue runs' }

/** The dashboard: the login form, or the project's views once logged in. */
export function App() {
  const [session, setSession] = useState<Session | null>(() => storedSession())
  const [tab, setTab] = useState<Tab>('servers')
  const logout = () => {
    storeSession(null)
    setSession(null)
  }
  if (!session) {
    return <LoginForm onLogin={(s) => { storeSession(s); setSession(s) }} />
  }
  const api = new Api(session, logout)
  return (
    <div class="layout">
      <header class="top">
        <h1>Lifeboat</h1>
        <nav>
          {(['servers', 'floating-ips', 'keypairs', 'rescue-runs'] as Tab[]).map((t) => (
            <button key={t} class={t === tab ? 'tab active' : 'tab'} data-tab={t} onClick={() => setTab(t)}>
              {TAB_LABELS[t]}
            </button>
          ))}
        </nav>
        <span class="who">{session.userName} · project {session.projectName}</span>
        <button class="link" onClick={logout}>Log out</button>
      </header>
      <main>
        {tab === 'servers' && <ServersView api={api} />}
        {tab === 'floating-ips' && <FloatingIpsView api={api} />}
        {tab === 'keypairs' && <KeypairsView api={api} />}
        {tab === 'rescue-runs' && <RescueRunsView api={api} />}
      </main>
    </div>
  )
}

function LoginForm({ onLogin }: { onLogin: (session: Session) => void }) {
  const [user, setUser] = useState('')
  const [password, setPassword] = useState('')
  const [project, setProject] = useState('')
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => onLogin(await login(user, password, project || user)))
  }
  return (
    <form class="login card" onSubmit={submit}>
      <h1>Lifeboat</h1>
      <label>User <input name="user" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
      <label>Project <input name="project" placeholder="same as the user" value={project} onInput={(e) => setProject(e.currentTarget.value)} /></label>
      <button type="submit" disabled={action.busy}>Log in</button>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      <p class="hint">Domain Default. The token stays in this tab only.</p>
    </form>
  )
}
