import { Type } from '@sinclair/typebox'

/** `GET /`: the service's name and where each OpenStack API lives (app.ts). */
export const RootResponse = {
  200: Type.Object({
    name: Type.String(),
    services: Type.Array(Type.Object({ name: Type.String(), href: Type.String() }, { additionalProperties: false })),
  }, { additionalProperties: false }),
}
