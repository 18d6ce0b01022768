import './base.css';
import './ledger.css';
