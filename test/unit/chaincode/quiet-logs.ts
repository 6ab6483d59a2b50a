/**
 * fabric-contract-api logs every decorator at info level when a contract class loads, and fabric-shim logs
 * every refused transaction. Import this module first in every chaincode test file so the test output stays
 * readable (CRITICAL silences both); a level the developer sets wins.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
