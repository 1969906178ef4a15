import { Section } from '../../components/Section';

export function EventsSection() {
  return <Section title="Recent security events">{null}</Section>;
}
