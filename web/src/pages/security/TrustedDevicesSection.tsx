import { Section } from '../../components/Section';

export function TrustedDevicesSection() {
  return <Section title="Remembered devices">{null}</Section>;
}
