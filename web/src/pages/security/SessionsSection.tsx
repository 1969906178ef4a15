import { Section } from '../../components/Section';

export function SessionsSection() {
  return <Section title="Sessions">{null}</Section>;
}
