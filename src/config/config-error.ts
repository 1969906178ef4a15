/** A configuration value is missing or wrong; the message names the variable and never holds a secret. */
export class ConfigError extends Error {}
