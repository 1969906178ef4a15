import { Section } from '../../components/Section';

export function FactorsSection() {
  return <Section title="Second factors">{null}</Section>;
}
