export { type EvolutionSimulator, type EvolutionSimulatorOptions, evolutionError, startEvolutionSimulator } from './simulator.ts';
