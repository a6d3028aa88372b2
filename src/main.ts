import 'reflect-metadata';
import { reportStartFailure, serve } from './server';

serve().catch(reportStartFailure);
