// The names an app and its backend use with AppLogin tokens (token-exchange.ts); kept apart so
// importing them does not load the provider.
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The subject_token_type of an AppLogin's web nonce. */
export const WEB_NONCE_TOKEN_TYPE = 'urn:tapgate:params:oauth:token-type:web-nonce';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
