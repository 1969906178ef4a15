import { useEffect, useState } from 'react';
import { request } from '../graphql/client';
import { ServiceInfoQuery } from '../graphql/operations';
import type { ConsoleServiceInfoQuery } from '../gql/graphql';

export type ServiceInfo = ConsoleServiceInfoQuery['serviceInfo'];

// Asked once per page load: it is the same for everyone and changes only with the server's settings or policy.
let asked: Promise<ServiceInfo> | null = null;

/** What the service offers before sign-in (sign-up, passkey sign-in) and its issuer name; null until known. */
export function useServiceInfo(): ServiceInfo | null {
  const [info, setInfo] = useState<ServiceInfo | null>(null);
  useEffect(() => {
    asked ??= request(ServiceInfoQuery).then(({ serviceInfo }) => serviceInfo);
    let current = true;
    asked.then(
      (value) => {
        if (current) setInfo(value);
      },
      () => {
        // Unknown: offer nothing optional, and ask again next time.
        asked = null;
      },
    );
    return () => {
      current = false;
    };
  }, []);
  return info;
}
