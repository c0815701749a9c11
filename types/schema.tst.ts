// The types shipped in plugin/schema/compiled.ts are the ones TypeBox's Static<>
// gives the schemas of plugin/schema/source.ts (TypeBox itself is not shipped).
import type { Static } from '@sinclair/typebox'
import { expect } from 'tstyche'
import type * as compiled from '../plugin/schema/compiled'
import type * as source from '../plugin/schema/source'

expect<compiled.SendContinue>().type.toBe<Static<typeof source.SendContinue>>()
expect<compiled.ServerSendContinue>().type.toBe<Static<typeof source.ServerSendContinue>>()
expect<compiled.LogLevel>().type.toBe<Static<typeof source.LogLevel>>()
expect<compiled.PluginOptions>().type.toBe<Static<typeof source.PluginOptions>>()
expect<compiled.RouteRules>().type.toBe<Static<typeof source.RouteRules>>()
expect<compiled.RouteExpect>().type.toBe<Static<typeof source.RouteExpect>>()
