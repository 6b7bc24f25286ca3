// The part of @novnc/novnc's RFB class (core/rfb.js, docs/API.md) the dashboard uses; the package ships no types.
declare module '@novnc/novnc' {
  /** Options of the RFB constructor. */
  export interface RfbOptions {
    shared?: boolean
    credentials?: { username?: string; password?: string; target?: string }
    wsProtocols?: string[]
  }
  /** A VNC connection drawn into `target` (a canvas inside it). */
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: RfbOptions)
    scaleViewport: boolean
    resizeSession: boolean
    viewOnly: boolean
    /** Not a property of RFB 1.7 (the name comes in the `desktopname` event): always undefined, typed for web/vnc's check. */
    readonly desktopName?: string
    disconnect(): void
    sendCtrlAltDel(): void
    focus(): void
  }
}
