export * from './common';
export * from './certifier-api';
export * from './bank-api';
