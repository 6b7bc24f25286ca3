import fs from 'node:fs'
import { Option, type Command } from 'commander'
import YAML from 'yaml'
import { configFromEnv, loadConfig, type ConfigInput, type LifeboatConfig } from '../config.js'

/** The flags of `serve` and `control`; the operator commands take the data/database/config ones. */
export interface ServeFlags {
  host?: string
  port?: string
  dataDir?: string
  databaseUrl?: string
  publicUrl?: string
  config?: string
  driver?: string
  logLevel?: string
  tlsCert?: string
  tlsKey?: string
  tlsCa?: string
}

function flagsToConfig(flags: ServeFlags): ConfigInput {
  return {
    host: flags.host,
    port: flags.port === undefined ? undefined : Number(flags.port),
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    publicUrl: flags.publicUrl,
    logLevel: flags.logLevel,
    tlsCert: flags.tlsCert,
    tlsKey: flags.tlsKey,
    tlsCa: flags.tlsCa,
    agent: { driver: flags.driver as 'auto' | 'fake' | 'qemu' | undefined },
  }
}

function fileConfig(file: string | undefined): ConfigInput {
  const path = file ?? process.env.LIFEBOAT_CONFIG
  if (!path) return {}
  return (YAML.parse(fs.readFileSync(path, 'utf8')) ?? {}) as ConfigInput
}

/** The configuration from the config file, then the environment, then the flags (later wins). */
export function configFromFlags(flags: ServeFlags): LifeboatConfig {
  return loadConfig(fileConfig(flags.config), configFromEnv(), flagsToConfig(flags))
}

/** Adds the options that say where the data is: --data-dir, --database-url, --config. */
export function dataOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data folder (LIFEBOAT_DATA_DIR, default ./data)'))
    .addOption(new Option('--database-url <url>', 'sqlite:<file> or postgres://… (LIFEBOAT_DATABASE_URL, default SQLite in the data folder)'))
    .addOption(new Option('--config <file>', 'YAML config file (LIFEBOAT_CONFIG); flags and env override it'))
}
