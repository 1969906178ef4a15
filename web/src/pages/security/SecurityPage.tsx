import { ApiKeysSection } from './ApiKeysSection';
import { EmailSection } from './EmailSection';
import { EventsSection } from './EventsSection';
import { FactorsSection } from './FactorsSection';
import { PasswordSection } from './PasswordSection';
import { RecoveryCodesSection } from './RecoveryCodesSection';
import { SessionsSection } from './SessionsSection';
import { TrustedDevicesSection } from './TrustedDevicesSection';

/** Everything a person manages about their own sign-in, in the order they look for it. */
export function SecurityPage() {
  return (
    <main className="page">
      <h1>Security</h1>
      <FactorsSection />
      <RecoveryCodesSection />
      <PasswordSection />
      <EmailSection />
      <SessionsSection />
      <TrustedDevicesSection />
      <ApiKeysSection />
      <EventsSection />
    </main>
  );
}
