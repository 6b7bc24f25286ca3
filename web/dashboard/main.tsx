import { render } from 'preact'
import '@xterm/xterm/css/xterm.css'
import './style.css'
import { stampStyleNonces } from './csp-nonce.js'
import { App } from './app.js'

stampStyleNonces()
const root = document.getElementById('app')
if (root) {
  root.textContent = ''
  render(<App />, root)
  // Rendering is synchronous: the page answers input from here on (bench/dashboard.ts reads this mark).
  performance.mark('lifeboat:interactive')
}
