import './base.css';
import './charts.css';
import './ledger.css';
