// Lifeboat's noVNC page (Nova's vnc_auto.html): connects the RFB client of
// @novnc/novnc (its one export, core/rfb.js) to this listener's websocket. Nova's console URL carries
// `?path=%3Ftoken%3D…` (the websocket path, noVNC's convention); a bare
// `?token=` works too.
import RFB from '@novnc/novnc'
import './main.css'

const statusLine = document.getElementById('status')!
const screen = document.getElementById('screen')!
const cad = document.getElementById('ctrl-alt-del') as HTMLButtonElement

function status(text: string, error = false): void {
  statusLine.textContent = text
  statusLine.classList.toggle('error', error)
}

/** ws(s)://<this host:port>/<path>: the page and the websocket share one listener. */
function websocketUrl(): string | null {
  const query = new URLSearchParams(location.search)
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const path = query.get('path')
  if (path) return `${scheme}//${location.host}/${path.replace(/^\/+/, '')}`
  const token = query.get('token')
  return token ? `${scheme}//${location.host}/?token=${encodeURIComponent(token)}` : null
}

const url = websocketUrl()
if (!url) {
  status('No console token in this address: ask for a new console URL (openstack console url show --novnc).', true)
} else {
  status('Connecting…')
  const rfb = new RFB(screen, url, { wsProtocols: ['binary'] })
  rfb.scaleViewport = true
  rfb.resizeSession = false
  rfb.addEventListener('connect', () => {
    status(`Connected${rfb.desktopName ? ` to ${rfb.desktopName}` : ''}`)
    cad.disabled = false
  })
  rfb.addEventListener('desktopname', (e: Event) => status(`Connected to ${(e as CustomEvent<{ name: string }>).detail.name}`))
  rfb.addEventListener('disconnect', (e: Event) => {
    cad.disabled = true
    const clean = (e as CustomEvent<{ clean: boolean }>).detail.clean
    status(clean ? 'Disconnected.' : 'The console closed: the token may be invalid or expired, or the server is not running.', !clean)
  })
  rfb.addEventListener('securityfailure', () => status('The console refused the connection.', true))
  cad.addEventListener('click', () => rfb.sendCtrlAltDel())
}
