import * as grpc from '@grpc/grpc-js';

/**
 * A stand-in for a peer's Gateway service over real gRPC and TLS on 127.0.0.1, answering `Evaluate` only. It
 * decodes just enough protobuf by hand (EvaluateRequest → SignedProposal) to hand each proposal and its
 * signature to the test, so the signatures our HSM signer made can be checked as a peer would.
 */

export interface ReceivedProposal {
  readonly channelId: string;
  readonly proposalBytes: Buffer;
  readonly signature: Buffer;
}

export interface FakeGateway {
  readonly endpoint: string;
  readonly received: ReceivedProposal[];
  /** How long each Evaluate waits before answering (default 0). */
  delayMs: number;
  stop(): Promise<void>;
}

/** Length-delimited and varint fields of one protobuf message, by field number (last one wins). */
function fields(message: Buffer): Map<number, Buffer | number> {
  const out = new Map<number, Buffer | number>();
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = message[offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        return value;
      }
      shift += 7;
    }
  };
  while (offset < message.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 2) {
      const length = varint();
      out.set(key >>> 3, message.subarray(offset, offset + length));
      offset += length;
    } else if (wire === 0) {
      out.set(key >>> 3, varint());
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

function bytesField(message: Buffer, field: number): Buffer {
  const value = fields(message).get(field);
  if (!Buffer.isBuffer(value)) {
    throw new Error(`field ${field} missing`);
  }
  return value;
}

function encodeBytes(field: number, value: Buffer): Buffer {
  const length: number[] = [];
  for (let n = value.length; ; n >>>= 7) {
    length.push(n > 0x7f ? (n & 0x7f) | 0x80 : n);
    if (n <= 0x7f) {
      break;
    }
  }
  return Buffer.concat([Buffer.of((field << 3) | 2), Buffer.from(length), value]);
}

/** EvaluateResponse { result: Response { status: 200, payload } }. */
function evaluateResponse(payload: Buffer): Buffer {
  const response = Buffer.concat([
    Buffer.of(0x08),
    Buffer.from([(200 & 0x7f) | 0x80, 200 >> 7]),
    encodeBytes(3, payload),
  ]);
  return encodeBytes(1, response);
}

const passThrough = {
  requestSerialize: (value: Buffer): Buffer => value,
  requestDeserialize: (value: Buffer): Buffer => value,
  responseSerialize: (value: Buffer): Buffer => value,
  responseDeserialize: (value: Buffer): Buffer => value,
};

export async function startFakeGateway(tls: { certPem: string; keyPem: string }): Promise<FakeGateway> {
  const server = new grpc.Server();
  const state: FakeGateway = {
    endpoint: '',
    received: [],
    delayMs: 0,
    stop: () =>
      new Promise<void>((done) => {
        server.tryShutdown(() => {
          done();
        });
      }),
  };
  server.addService(
    { Evaluate: { path: '/gateway.Gateway/Evaluate', requestStream: false, responseStream: false, ...passThrough } },
    {
      Evaluate: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const request = call.request;
        const signed = bytesField(request, 3);
        state.received.push({
          channelId: bytesField(request, 2).toString('utf8'),
          proposalBytes: bytesField(signed, 1),
          signature: bytesField(signed, 2),
        });
        const payload = Buffer.from(`evaluated ${state.received.length}`);
        setTimeout(() => {
          callback(null, evaluateResponse(payload));
        }, state.delayMs);
      },
    },
  );
  const credentials = grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    false,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => {
      if (error) {
        reject(error);
      } else {
        resolve(bound);
      }
    });
  });
  return Object.assign(state, { endpoint: `127.0.0.1:${port}` });
}
